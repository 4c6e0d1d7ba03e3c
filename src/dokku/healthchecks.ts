/**
 * app.json healthchecks as Kubernetes probes (Dokku's `getProcessHealtchecks`), with two
 * fixes: a check without `type` is a startup check (as Dokku documents and docker-local runs
 * it; scheduler-k3s drops it), and an `uptime` check becomes `minReadySeconds` instead of a
 * probe without a handler (which the API server would reject).
 */
import { k8s } from '../constructs/_k8s.js';
import type { Healthcheck } from '../state/types.js';

/** The probes of one process and its minimum ready time. */
export interface ProcessProbes {
  readonly startup?: k8s.Probe;
  readonly liveness?: k8s.Probe;
  readonly readiness?: k8s.Probe;
  readonly minReadySeconds?: number;
}

function probeOf(check: Healthcheck, primaryPort: number): k8s.Probe | undefined {
  const port = k8sIntOrString(check.port ?? primaryPort);
  let handler: Partial<k8s.Probe>;
  if (check.command && check.command.length > 0) {
    handler = { exec: { command: [...check.command] } };
  } else if (check.listening) {
    const host = check.httpHeaders?.find((h) => h.name === 'Host')?.value;
    handler = { tcpSocket: { port, ...(host ? { host } : {}) } };
  } else if (check.path) {
    handler = {
      httpGet: {
        path: check.path,
        port,
        ...(check.scheme ? { scheme: check.scheme.toUpperCase() } : {}),
        ...(check.httpHeaders?.length ? { httpHeaders: check.httpHeaders.map((h) => ({ name: h.name, value: h.value })) } : {}),
      },
    };
  } else {
    return undefined;
  }
  // zero values are omitted so that Kubernetes' defaults apply, as Dokku's omitempty does
  return {
    ...handler,
    ...(check.initialDelay ? { initialDelaySeconds: check.initialDelay } : {}),
    ...(check.wait ? { periodSeconds: check.wait } : {}),
    ...(check.timeout ? { timeoutSeconds: check.timeout } : {}),
    ...(check.attempts ? { failureThreshold: check.attempts } : {}),
    successThreshold: 1,
  };
}

function k8sIntOrString(port: number): k8s.IntOrString {
  return k8s.IntOrString.fromNumber(port);
}

/** Probes of one process from its app.json checks; only the first check of each type counts. */
export function processProbes(checks: readonly Healthcheck[] | undefined, primaryPort: number): ProcessProbes {
  const out: { -readonly [K in keyof ProcessProbes]: ProcessProbes[K] } = {};
  for (const check of checks ?? []) {
    if (check.uptime && out.minReadySeconds === undefined) out.minReadySeconds = check.uptime;
    const probe = probeOf(check, primaryPort);
    if (!probe) continue;
    const slot = check.type ?? 'startup';
    if (out[slot] === undefined) out[slot] = probe;
  }
  return out;
}
