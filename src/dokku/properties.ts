/**
 * scheduler-k3s properties (`scheduler-k3s:set`): which exist, where they may be set, their
 * defaults, how their values are checked and normalised, and the computed value (the app's
 * own, else the global one, else the default), as `P/functions.go` `getComputed*` do.
 */
import { canonicalQuantity } from './quantity.js';
import { isDnsLabel, isDnsSubdomain } from './names.js';

/** Where a property may be set. */
type Scope = 'app-or-global' | 'global';

interface PropertyDefinition {
  readonly scope: Scope;
  readonly default?: string;
  /** Returns the normalised value, or a message saying what is allowed. */
  readonly check?: (value: string) => { value: string } | { problem: string };
}

const ok = (value: string) => ({ value });
const problem = (message: string) => ({ problem: message });

function oneOf(allowed: readonly string[], normalise: (v: string) => string = (v) => v) {
  return (value: string) => {
    const v = normalise(value);
    return allowed.includes(v) ? ok(v) : problem(`${JSON.stringify(value)} is not allowed; allowed values: ${allowed.join(', ')}`);
  };
}

function count(value: string) {
  return /^(\d+%?)$/.test(value) ? ok(value) : problem(`${JSON.stringify(value)} is not a number of pods or a percentage (1, 50%)`);
}

/** An ACME account email; Dokku does not check it, but Let's Encrypt rejects a malformed one only in the cluster. */
function email(value: string) {
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value) ? ok(value) : problem(`${JSON.stringify(value)} is not an email address (ops@example.com)`);
}

/** Every property the compiler knows. Unknown names are errors, so that typos do not pass silently. */
export const PROPERTIES: Readonly<Record<string, PropertyDefinition>> = {
  'cert-issuer-kind': {
    scope: 'app-or-global',
    default: 'ClusterIssuer',
    check: (v) => {
      const n = v.toLowerCase() === 'issuer' ? 'Issuer' : v.toLowerCase() === 'clusterissuer' ? 'ClusterIssuer' : undefined;
      return n ? ok(n) : problem(`${JSON.stringify(v)} is not allowed; allowed values: Issuer, ClusterIssuer (case-insensitive)`);
    },
  },
  'cert-issuer-name': {
    scope: 'app-or-global',
    check: (v) => (v === 'false' || isDnsSubdomain(v) ? ok(v) : problem(`${JSON.stringify(v)} is not a DNS-1123 name (lowercase letters, digits, '-' and '.'), or false`)),
  },
  'deploy-timeout': {
    scope: 'app-or-global',
    default: '300s',
    check: (v) => (/^\d+s?$/.test(v) ? ok(v.endsWith('s') ? v : `${v}s`) : problem(`${JSON.stringify(v)} is not a number of seconds (300 or 300s)`)),
  },
  'image-pull-secrets': {
    scope: 'app-or-global',
    check: (v) => {
      const names = splitList(v);
      const bad = names.filter((n) => !isDnsSubdomain(n));
      return names.length && !bad.length ? ok(names.join(',')) : problem(`${JSON.stringify(v)} is not a comma-separated list of Secret names`);
    },
  },
  'ingress-class': { scope: 'global', default: 'nginx', check: oneOf(['nginx', 'traefik']) },
  'kube-context': { scope: 'global' },
  'kubeconfig-path': { scope: 'global' },
  'kustomize-root-path': { scope: 'app-or-global', default: 'config/kustomize' },
  'letsencrypt-email-prod': { scope: 'app-or-global', check: email },
  'letsencrypt-email-stag': { scope: 'app-or-global', check: email },
  'letsencrypt-server': {
    scope: 'app-or-global',
    default: 'prod',
    check: oneOf(['prod', 'production', 'stag', 'staging', 'false']),
  },
  namespace: {
    scope: 'app-or-global',
    default: 'default',
    check: (v) => (isDnsLabel(v) ? ok(v) : problem(`${JSON.stringify(v)} is not a DNS-1123 label (lowercase letters, digits and '-', at most 63)`)),
  },
  'network-interface': { scope: 'global', default: 'eth0' },
  'node-sysctls-image': { scope: 'global' },
  'node-sysctls-pause-image': { scope: 'global' },
  'pod-max-unavailable': { scope: 'app-or-global', check: count },
  'pod-min-available': { scope: 'app-or-global', check: count },
  /** Where predeploy, the Procfile release and postdeploy run: as Jobs in the cluster, or on the Dokku host (not rendered). */
  'release-tasks': { scope: 'app-or-global', default: 'cluster', check: oneOf(['cluster', 'host']) },
  'rollback-on-failure': { scope: 'app-or-global', default: 'false', check: oneOf(['true', 'false']) },
  'shm-size': {
    scope: 'app-or-global',
    check: (v) => {
      const q = canonicalQuantity(v);
      return q ? ok(q) : problem(`${JSON.stringify(v)} is not a Kubernetes quantity (64Mi, 1Gi)`);
    },
  },
  token: { scope: 'global' },
  'traefik-version': { scope: 'global', default: 'v3', check: oneOf(['v3', 'v2']) },
};

/** Splits a comma-separated list, dropping blanks. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A problem with one property, by name. */
export interface PropertyProblem {
  readonly name: string;
  readonly message: string;
}

/** Checks and normalises a map of properties set at one level (`app` or `global`). */
export function checkProperties(
  values: Readonly<Record<string, string>> | undefined,
  level: 'app' | 'global',
): { values: Record<string, string>; problems: PropertyProblem[] } {
  const out: Record<string, string> = {};
  const problems: PropertyProblem[] = [];
  for (const [name, raw] of Object.entries(values ?? {})) {
    const def = PROPERTIES[name];
    if (!def) {
      problems.push({ name, message: `is not a known property; known properties: ${Object.keys(PROPERTIES).join(', ')}` });
      continue;
    }
    if (level === 'app' && def.scope === 'global') {
      problems.push({ name, message: 'is a global property: set it in the Global document' });
      continue;
    }
    if (!def.check) {
      out[name] = raw;
      continue;
    }
    const result = def.check(raw);
    if ('problem' in result) problems.push({ name, message: result.problem });
    else out[name] = result.value;
  }
  return { values: out, problems };
}

/** Computed properties: the app's value, else the global one, else the default. */
export class ComputedProperties {
  constructor(
    private readonly app: Readonly<Record<string, string>>,
    private readonly global: Readonly<Record<string, string>>,
  ) {}

  /** The computed value, or `undefined` when neither is set and there is no default. */
  public get(name: keyof typeof PROPERTIES): string | undefined {
    return this.app[name] ?? this.global[name] ?? PROPERTIES[name]?.default;
  }

  /** True when the app itself sets the property (not inherited from the global level). */
  public setOnApp(name: keyof typeof PROPERTIES): boolean {
    return this.app[name] !== undefined;
  }
}
