/**
 * Checks for every value that reaches a node: host names, users, labels, kubelet arguments,
 * versions. Each returns a problem message, or `undefined` when the value is fine, so that
 * callers can report all problems of one command line together (`InputError`).
 *
 * These checks are the first line of defence against shell injection; the second is that
 * `renderCommand` quotes every word, and values such as kubelet arguments only ever travel in
 * files written from standard input.
 */
import { isIP } from 'node:net';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const LABEL_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const SSH_USER = /^[A-Za-z_][A-Za-z0-9._-]{0,31}$/;
const KUBELET_KEY = /^[a-z0-9][a-z0-9-]*$/;
const K3S_VERSION = /^v(\d+)\.(\d+)\.(\d+)(-rc\d+)?\+k3s\d+$/;
const NODE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const EXTENDER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const VERB = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
const DURATION = /^[0-9]+(ms|s|m|h)$/;
// Control characters would break the YAML files these values are written to.
const CONTROL = /[\u0000-\u001f\u007f]/;

function show(value: string): string {
  return JSON.stringify(value);
}

/** True when `value` is a DNS name (RFC 1123, 253 characters at most). */
export function isDnsName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  return value.split('.').every((label) => DNS_LABEL.test(label));
}

/** A host name or IP address of a node, as used in `ssh://user@host` and `--tls-san`. */
export function checkHost(field: string, value: string): string | undefined {
  if (isIP(value) !== 0 || isDnsName(value)) return undefined;
  return `${field}: ${show(value)} is not a host name or IP address`;
}

/** An IPv4 or IPv6 address. */
export function checkIp(field: string, value: string): string | undefined {
  if (isIP(value) !== 0) return undefined;
  return `${field}: ${show(value)} is not an IP address`;
}

/** A login name for SSH: a letter or '_' then letters, digits, '.', '_' or '-', 32 characters at most. */
export function checkSshUser(field: string, value: string): string | undefined {
  if (SSH_USER.test(value)) return undefined;
  return `${field}: user ${show(value)} is not a valid login name (a letter or '_', then letters, digits, '.', '_' or '-', 32 characters at most)`;
}

/** A TCP port, 1 to 65535. */
export function checkPort(field: string, value: number): string | undefined {
  if (Number.isInteger(value) && value >= 1 && value <= 65535) return undefined;
  return `${field}: port ${show(String(value))} is not between 1 and 65535`;
}

function checkLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash === -1) return LABEL_NAME.test(key);
  const prefix = key.slice(0, slash);
  const name = key.slice(slash + 1);
  return prefix.length <= 253 && isDnsName(prefix) && prefix === prefix.toLowerCase() && LABEL_NAME.test(name);
}

/**
 * A Kubernetes label `key=value` (key: optional DNS prefix and '/', then a name of 63 characters
 * at most; value: empty or 63 characters at most; both letters, digits, '-', '_', '.').
 *
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 */
export function checkLabel(field: string, value: string): string | undefined {
  const eq = value.indexOf('=');
  const key = eq === -1 ? value : value.slice(0, eq);
  const labelValue = eq === -1 ? undefined : value.slice(eq + 1);
  if (labelValue === undefined) return `${field}: ${show(value)} is not key=value, for example tier=edge`;
  if (!checkLabelKey(key)) {
    return `${field}: ${show(value)} has an invalid label key (optional DNS prefix and '/', then 63 characters at most: letters, digits, '-', '_', '.')`;
  }
  if (labelValue !== '' && !LABEL_NAME.test(labelValue)) {
    return `${field}: ${show(value)} has an invalid label value (63 characters at most: letters, digits, '-', '_', '.', starting and ending with a letter or digit)`;
  }
  return undefined;
}

/**
 * A kubelet argument `key=value` as k3s takes it in `kubelet-arg`. The key is a kubelet flag name
 * without `--`; the value may hold any printable character (for example
 * `eviction-hard=memory.available<100Mi`), because it is only ever written to the k3s config file.
 */
export function checkKubeletArg(field: string, value: string): string | undefined {
  const eq = value.indexOf('=');
  if (eq <= 0) return `${field}: ${show(value)} is not key=value, for example max-pods=110`;
  const key = value.slice(0, eq);
  if (!KUBELET_KEY.test(key)) {
    return `${field}: ${show(value)} has an invalid flag name ${show(key)} (lowercase letters, digits and '-', without leading dashes)`;
  }
  if (CONTROL.test(value)) return `${field}: ${show(value)} contains a control character`;
  return undefined;
}

/** A k3s release such as `v1.30.4+k3s1`. */
export function checkK3sVersion(field: string, value: string): string | undefined {
  if (K3S_VERSION.test(value)) return undefined;
  return `${field}: ${show(value)} is not a k3s release, for example v1.30.4+k3s1`;
}

/** A Kubernetes node name (a lowercase DNS subdomain). */
export function checkNodeName(field: string, value: string): string | undefined {
  if (value.length <= 253 && NODE_NAME.test(value)) return undefined;
  return `${field}: ${show(value)} is not a node name (lowercase letters, digits, '-' and '.')`;
}

/** The name of a scheduler extender, used in file names: lowercase letters, digits and '-'. */
export function checkExtenderName(field: string, value: string): string | undefined {
  if (EXTENDER_NAME.test(value)) return undefined;
  return `${field}: ${show(value)} is not a valid name (lowercase letters, digits and '-', 63 characters at most)`;
}

/** An extender verb, the last path segment(s) of its URL: letters, digits, '_', '-' and '/'. */
export function checkVerb(field: string, value: string): string | undefined {
  if (VERB.test(value)) return undefined;
  return `${field}: ${show(value)} is not a valid verb (letters, digits, '_', '-' and '/')`;
}

/** A duration in Go syntax with one unit, for example `15s` or `500ms`. */
export function checkDuration(field: string, value: string): string | undefined {
  if (DURATION.test(value)) return undefined;
  return `${field}: ${show(value)} is not a duration such as 15s, 500ms or 1m`;
}

/** An `http://` or `https://` URL with a host and no credentials, query or fragment. */
export function checkHttpUrl(field: string, value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${field}: ${show(value)} is not a URL such as http://127.0.0.1:8889`;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || /\s/.test(value)) {
    return `${field}: ${show(value)} is not an http:// or https:// URL without credentials, query or fragment`;
  }
  return undefined;
}

/** Parse a `vMAJOR.MINOR.PATCH[-rcN]+k3sN` version into numbers for comparison. */
export function parseK3sVersion(value: string): { major: number; minor: number; patch: number; rc: number; k3s: number } | undefined {
  const match = /^v(\d+)\.(\d+)\.(\d+)(?:-rc(\d+))?(?:\+k3s(\d+))?$/.exec(value.trim());
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    // a release candidate sorts before the release it precedes
    rc: match[4] === undefined ? Number.MAX_SAFE_INTEGER : Number(match[4]),
    k3s: match[5] === undefined ? 0 : Number(match[5]),
  };
}

/** Compare two k3s versions: negative when `a` is older than `b`. Unparseable versions sort last. */
export function compareK3sVersions(a: string, b: string): number {
  const pa = parseK3sVersion(a);
  const pb = parseK3sVersion(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : 0;
  return pa.major - pb.major || pa.minor - pb.minor || pa.patch - pb.patch || pa.rc - pb.rc || pa.k3s - pb.k3s;
}
