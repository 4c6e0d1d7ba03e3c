/**
 * A model for the KEDA HTTP add-on's HTTPScaledObject (`http.keda.sh/v1alpha1`), which no
 * `@kubernetes-models/*` package ships. The schema is the CRD's openAPIV3Schema
 * (kedacore/http-add-on `config/crd/bases/http.keda.sh_httpscaledobjects.yaml`), reduced to
 * the fields and rules that apply, with `additionalProperties: false` so that a misspelt field
 * fails here instead of being pruned silently by the API server. Its CEL rule (`port` xor
 * `portName`) is checked in code.
 */
import { Ajv } from 'ajv';

const int32 = { type: 'integer', minimum: -2147483648, maximum: 2147483647 } as const;

/** The openAPIV3Schema of HTTPScaledObject, as validation needs it. */
export const HTTP_SCALED_OBJECT_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'http.keda.sh/v1alpha1' },
    kind: { const: 'HTTPScaledObject' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$', maxLength: 253 },
        namespace: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      required: ['scaleTargetRef'],
      additionalProperties: false,
      properties: {
        hosts: { type: 'array', items: { type: 'string' } },
        pathPrefixes: { type: 'array', items: { type: 'string' } },
        headers: {
          type: 'array',
          items: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1 }, value: { type: 'string' } } },
        },
        initialCooldownPeriod: int32,
        replicas: { type: 'object', additionalProperties: false, properties: { min: int32, max: int32 } },
        scaleTargetRef: {
          type: 'object',
          required: ['service'],
          additionalProperties: false,
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            name: { type: 'string' },
            port: int32,
            portName: { type: 'string' },
            service: { type: 'string' },
          },
        },
        scaledownPeriod: int32,
        scalingMetric: {
          type: 'object',
          additionalProperties: false,
          properties: {
            concurrency: { type: 'object', additionalProperties: false, properties: { targetValue: { type: 'integer' } } },
            requestRate: {
              type: 'object',
              additionalProperties: false,
              properties: { granularity: { type: 'string' }, targetValue: { type: 'integer' }, window: { type: 'string' } },
            },
          },
        },
        targetPendingRequests: int32,
        timeouts: { type: 'object', additionalProperties: false, properties: { conditionWait: { type: 'string' }, responseHeader: { type: 'string' } } },
        coldStartTimeoutFailoverRef: { type: 'object' },
      },
    },
  },
} as const;

let compiled: ReturnType<Ajv['compile']> | undefined;

/** A `kubernetes-models`-style model: `new HTTPScaledObject(data).validate()` throws on a bad object. */
export class HTTPScaledObject {
  constructor(private readonly data: unknown) {}

  /** Throws with the failing JSON pointers when the object does not match the CRD. */
  public validate(): void {
    compiled ??= new Ajv({ allErrors: true, strict: false }).compile(HTTP_SCALED_OBJECT_SCHEMA);
    if (!compiled(this.data)) {
      throw new Error((compiled.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; '));
    }
    const ref = (this.data as { spec: { scaleTargetRef: { port?: unknown; portName?: unknown } } }).spec.scaleTargetRef;
    if ((ref.port === undefined) === (ref.portName === undefined)) {
      throw new Error("/spec/scaleTargetRef must define either the 'portName' or the 'port'");
    }
  }
}
