/**
 * The JSON Schema of state documents: the single source of truth for their structure.
 * `dokku-gitops schema` prints it; the loader checks every document against it, and Dokku's
 * semantic rules (quantities, sysctls, port maps, names) are checked afterwards in `src/dokku/`.
 */
import { ANNOTATION_RESOURCE_TYPES, LABEL_RESOURCE_TYPES, STATE_API_VERSION } from './types.js';

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

/** `<resource type> -> <key> -> <value>` for the given resource types. */
function metadataByType(types: readonly string[]) {
  return {
    type: 'object',
    propertyNames: { enum: [...types] },
    additionalProperties: stringMap,
  };
}

const resourceValues = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cpu: { type: 'string', description: 'Kubernetes CPU quantity; a zero quantity (0m) drops the field' },
    memory: { type: 'string', description: 'megabytes as a bare number (512) or a Kubernetes quantity (512Mi); 0Mi drops the field' },
    'nvidia-gpu': { type: 'string', description: 'number of NVIDIA GPUs (limit only)' },
  },
} as const;

const healthcheck = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { enum: ['startup', 'liveness', 'readiness'] },
    name: { type: 'string' },
    description: { type: 'string' },
    command: { type: 'array', items: { type: 'string' } },
    listening: { type: 'boolean' },
    path: { type: 'string' },
    scheme: { enum: ['http', 'https', 'HTTP', 'HTTPS'] },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    content: { type: 'string' },
    httpHeaders: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'value'],
        properties: { name: { type: 'string' }, value: { type: 'string' } },
      },
    },
    attempts: { type: 'integer', minimum: 0 },
    initialDelay: { type: 'integer', minimum: 0 },
    timeout: { type: 'integer', minimum: 0 },
    wait: { type: 'integer', minimum: 0 },
    uptime: { type: 'integer', minimum: 0 },
    warn: { type: 'boolean' },
    onFailure: {},
  },
} as const;

/** A HorizontalPodAutoscaler resource target: exactly one of utilization or averageValue. */
const resourceTarget = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    utilization: { type: 'integer', minimum: 1, description: 'average utilization, percent of the request' },
    averageValue: { type: 'string', description: 'average value per pod, a Kubernetes quantity (500m, 512Mi)' },
  },
} as const;

/** `spec.autoscale.<proc>`: a HorizontalPodAutoscaler (clusters without KEDA). */
const processAutoscale = {
  type: 'object',
  additionalProperties: false,
  required: ['max'],
  properties: {
    min: { type: 'integer', minimum: 1, default: 1 },
    max: { type: 'integer', minimum: 1 },
    cpu: resourceTarget,
    memory: resourceTarget,
  },
} as const;

const appJson = {
  type: 'object',
  description: "verbatim Dokku app.json; keys the compiler does not read are kept and ignored",
  properties: {
    cron: {
      type: 'array',
      items: {
        type: 'object',
        required: ['command', 'schedule'],
        properties: {
          command: { type: 'string', minLength: 1 },
          schedule: { type: 'string', minLength: 1 },
          maintenance: { type: 'boolean' },
          concurrency_policy: { type: 'string' },
        },
      },
    },
    formation: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          quantity: { type: 'integer', minimum: 0 },
          max_parallel: { type: 'integer', minimum: 1 },
          service: { type: 'object', properties: { exposed: { type: 'boolean' } } },
          autoscaling: {
            type: 'object',
            properties: {
              min_quantity: { type: 'integer', minimum: 0 },
              max_quantity: { type: 'integer', minimum: 0 },
              polling_interval_seconds: { type: 'integer', minimum: 1 },
              cooldown_period_seconds: { type: 'integer', minimum: 0 },
              cooldown_seconds: { type: 'integer', minimum: 0 },
              triggers: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    name: { type: 'string' },
                    type: { type: 'string' },
                    metadata: stringMap,
                    metricType: { enum: ['Utilization', 'AverageValue', 'Value'] },
                  },
                },
              },
            },
          },
        },
      },
    },
    healthchecks: { type: 'object', additionalProperties: { type: 'array', items: healthcheck } },
    scripts: {
      type: 'object',
      properties: {
        dokku: {
          type: 'object',
          properties: { predeploy: { type: 'string' }, postdeploy: { type: 'string' } },
        },
        postdeploy: { type: 'string' },
      },
    },
  },
} as const;

const appSpec = {
  type: 'object',
  additionalProperties: false,
  required: ['image'],
  properties: {
    image: { type: 'string', minLength: 1, description: 'fully resolved image reference' },
    builder: { enum: ['herokuish', 'dockerfile', 'pack'], default: 'dockerfile' },
    workingDir: { type: 'string' },
    procfile: { type: 'string', description: 'verbatim Procfile' },
    appJson,
    scale: { type: 'object', additionalProperties: { type: 'integer', minimum: 0, maximum: 10000 }, description: 'ps:scale' },
    config: { ...stringMap, description: 'merged env (config:export)' },
    domains: { type: 'array', items: { type: 'string' } },
    ports: { type: 'array', items: { type: 'string' }, description: 'ports:set maps, scheme:host:container' },
    resources: {
      type: 'object',
      description: 'resource:limit / resource:reserve per process type, _default_ for all',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { limit: resourceValues, reserve: resourceValues },
      },
    },
    dockerOptions: {
      type: 'object',
      additionalProperties: false,
      properties: {
        deploy: { type: 'array', items: { type: 'string' } },
        run: { type: 'array', items: { type: 'string' } },
        build: { type: 'array', items: { type: 'string' } },
      },
    },
    storage: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'mountPath', 'size'],
        properties: {
          name: { type: 'string' },
          mountPath: { type: 'string', pattern: '^/' },
          size: { type: 'string' },
          subPath: { type: 'string' },
          readOnly: { type: 'boolean' },
          accessMode: { enum: ['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany', 'ReadWriteOncePod'] },
          storageClassName: { type: 'string' },
        },
      },
    },
    nginx: { ...stringMap, description: 'nginx plugin properties, verbatim names' },
    properties: { ...stringMap, description: 'scheduler-k3s properties, verbatim names' },
    annotations: { type: 'object', additionalProperties: metadataByType(ANNOTATION_RESOURCE_TYPES) },
    labels: { type: 'object', additionalProperties: metadataByType(LABEL_RESOURCE_TYPES) },
    autoscale: { type: 'object', additionalProperties: processAutoscale, description: 'HorizontalPodAutoscalers by process type (clusters without KEDA)' },
    autoscalingAuth: { type: 'object', additionalProperties: stringMap },
    registryAuth: { type: 'object', description: 'Docker config.json content' },
    certs: {
      type: 'object',
      additionalProperties: false,
      required: ['crt', 'key'],
      properties: { crt: { type: 'string' }, key: { type: 'string' } },
    },
    deploymentId: { type: 'string' },
    stopped: { type: 'boolean', default: false },
  },
} as const;

/** JSON Schema of one state document (`App` or `Global`). */
export const STATE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://dokku-gitops.dev/schema/state-v1.json',
  title: 'dokku-gitops state document',
  type: 'object',
  required: ['apiVersion', 'kind'],
  properties: {
    apiVersion: { const: STATE_API_VERSION },
    kind: { enum: ['App', 'Global'] },
  },
  if: { properties: { kind: { const: 'App' } } },
  then: {
    additionalProperties: false,
    required: ['metadata', 'spec'],
    properties: {
      apiVersion: true,
      kind: true,
      metadata: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', description: 'the Dokku app name, a DNS-1123 label of at most 63 characters' } },
      },
      spec: appSpec,
    },
  },
  else: {
    additionalProperties: false,
    required: ['spec'],
    properties: {
      apiVersion: true,
      kind: true,
      metadata: { type: 'object', properties: { name: { type: 'string' } } },
      spec: {
        type: 'object',
        additionalProperties: false,
        properties: {
          properties: { ...stringMap, description: 'global scheduler-k3s properties' },
          autoscalingAuth: { type: 'object', additionalProperties: stringMap },
          annotations: metadataByType(ANNOTATION_RESOURCE_TYPES),
          labels: metadataByType(LABEL_RESOURCE_TYPES),
        },
      },
    },
  },
} as const;

/** The ajv options the schema is checked with: every error, with the failing schema attached. */
export const STATE_AJV_OPTIONS = { allErrors: true, strict: false, verbose: true } as const;
