/** The `data` of the Secrets the constructs render: values base64-encoded, keys as given. */
import { canonicalJson } from '../canonical.js';

/** Secret `data` from key/value pairs (env config, autoscaling auth parameters, a TLS pair). */
export function secretData(entries: readonly (readonly [string, string])[]): Record<string, string> {
  return Object.fromEntries(entries.map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]));
}

/** The `data` of a registry pull Secret: the Docker config as sorted-key JSON, so the same config gives the same bytes. */
export function pullSecretData(registryAuth: Record<string, unknown>): Record<string, string> {
  return secretData([['.dockerconfigjson', canonicalJson(registryAuth)]]);
}
