/** Kubernetes name rules that Dokku names must satisfy once they become object names. */

/** The longest DNS-1123 label (and label value). */
export const MAX_LABEL = 63;

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True for a DNS-1123 label of at most 63 characters (`node-js-app`). */
export function isDnsLabel(value: string): boolean {
  return value.length <= MAX_LABEL && DNS_1123_LABEL.test(value);
}

/** True for a DNS-1123 subdomain of at most 253 characters (`letsencrypt.prod`). */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && DNS_1123_SUBDOMAIN.test(value);
}

/** Why a value is not a DNS-1123 label, for messages. */
export function dnsLabelProblem(value: string): string | undefined {
  if (value.length > MAX_LABEL) return `${JSON.stringify(value)} is ${value.length} characters long; at most ${MAX_LABEL} are allowed`;
  if (!DNS_1123_LABEL.test(value)) {
    return `${JSON.stringify(value)} is not a DNS-1123 label: use lowercase letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}
