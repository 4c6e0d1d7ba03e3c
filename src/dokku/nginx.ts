/**
 * nginx plugin properties (`nginx:set`) as ingress-nginx annotations and snippets, the way
 * scheduler-k3s renders them onto its Ingresses (`P/functions.go` `getIngressAnnotations`),
 * with the nginx plugin's defaults (`plugins/nginx-vhosts/nginx_vhosts.go`).
 *
 * Differences from Dokku, each on purpose:
 * - values are checked, because they are pasted into nginx configuration snippets (a `;` or
 *   `}` in a value would inject directives);
 * - the proxy timeouts are converted to seconds (`1m` -> `60`) instead of having their
 *   non-digits stripped (`1m` -> `1`);
 * - the page-size dependent defaults assume 4 KiB pages (Dokku asks the Dokku host).
 */
import { show } from '../state/_problems.js';

/** The prefix of ingress-nginx annotations. */
export const NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

/** What one property contributes to the Ingress. */
interface NginxOutput {
  readonly annotations?: Readonly<Record<string, string>>;
  /** A line of `configuration-snippet` (location block). */
  readonly location?: string;
  /** A line of `server-snippet` (server block). */
  readonly server?: string;
}

interface NginxProperty {
  /** The nginx plugin's default, when it has one that scheduler-k3s renders. */
  readonly default?: (app: string) => string;
  /** Returns a message when the value is not allowed. */
  readonly check?: (value: string) => string | undefined;
  /** What the value becomes; absent for properties that scheduler-k3s reads but ignores. */
  readonly render?: (value: string) => NginxOutput;
}

/** 4 KiB pages: `os.Getpagesize()/1024` on the usual Dokku host. */
const PAGE_KIB = 4;
const LOG_ROOT = '/var/log/nginx';

const TIME_UNITS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, M: 2592000, y: 31536000 };
const TIME = /^(?:\d+(?:ms|s|m|h|d|w|M|y)?)+$/;
const TIME_PART = /(\d+)(ms|s|m|h|d|w|M|y)?/g;

/** Seconds of an nginx time (`60s`, `1m`, `1h30m`, `90`), or undefined when it is not a whole number of seconds. */
export function nginxSeconds(value: string): number | undefined {
  if (!TIME.test(value)) return undefined;
  let total = 0;
  for (const [, n, unit] of value.matchAll(TIME_PART)) total += Number(n) * TIME_UNITS[unit ?? 's']!;
  return Number.isInteger(total) ? total : undefined;
}

const time = (v: string) => (TIME.test(v) ? undefined : `${show(v)} is not an nginx time (60s, 1m, 1h30m)`);
const seconds = (v: string) => (nginxSeconds(v) !== undefined ? undefined : `${show(v)} is not an nginx time of whole seconds (60s, 1m, 90)`);
const size = (v: string) => (/^\d+[kKmMgG]?$/.test(v) ? undefined : `${show(v)} is not an nginx size (1m, 4k, 512)`);
const onOff = (v: string) => (v === 'on' || v === 'off' ? undefined : `${show(v)} is not allowed; allowed values: on, off`);
const path = (v: string) => (/^\/[^\s;{}'"\\#]*$/.test(v) ? undefined : `${show(v)} is not an absolute path without spaces, quotes or ';{}#'`);
const pathOrOff = (v: string) => (v === 'off' ? undefined : path(v));

const annotation = (name: string) => (v: string) => ({ annotations: { [`${NGINX_ANNOTATION_PREFIX}${name}`]: v } });
const timeoutAnnotation = (name: string) => (v: string) => ({ annotations: { [`${NGINX_ANNOTATION_PREFIX}${name}`]: String(nginxSeconds(v)) } });
const server = (directive: string) => (v: string) => ({ server: `${directive} ${v};` });

/**
 * Every property of the nginx plugin, by name. Properties without `render` are read by Dokku
 * but do not reach Kubernetes (hsts*, bind-address*, x-forwarded-*-value, ...); they are
 * accepted and ignored, as in Dokku.
 */
export const NGINX_PROPERTIES: Readonly<Record<string, NginxProperty>> = {
  'access-log-format': {},
  'access-log-path': { default: (app) => `${LOG_ROOT}/${app}-access.log`, check: pathOrOff, render: server('access_log') },
  'bind-address-ipv4': {},
  'bind-address-ipv6': {},
  'client-body-timeout': { default: () => '60s', check: time, render: server('client_body_timeout') },
  'client-header-timeout': { default: () => '60s', check: time, render: server('client_header_timeout') },
  'client-max-body-size': { default: () => '1m', check: size, render: annotation('proxy-body-size') },
  'disable-custom-config': {},
  'error-log-path': { default: (app) => `${LOG_ROOT}/${app}-error.log`, check: path, render: server('error_log') },
  hsts: {},
  'hsts-include-subdomains': {},
  'hsts-max-age': {},
  'hsts-preload': {},
  'keepalive-timeout': { default: () => '75s', check: time, render: server('keepalive_timeout') },
  'lingering-timeout': { default: () => '5s', check: time, render: server('lingering_timeout') },
  'nginx-conf-sigil-path': {},
  'nginx-service-command': {},
  'proxy-buffer-size': { default: () => `${PAGE_KIB}k`, check: size, render: annotation('proxy-buffer-size') },
  'proxy-buffering': { default: () => 'on', check: onOff, render: annotation('proxy-buffering') },
  'proxy-buffers': {
    default: () => `8 ${PAGE_KIB}k`,
    check: (v) => (/^\d+ \d+[kKmM]?$/.test(v) ? undefined : `${show(v)} is not "<number> <size>" (8 4k)`),
    render: (v) => {
      const [number, bufferSize] = v.split(' ') as [string, string];
      return { annotations: { [`${NGINX_ANNOTATION_PREFIX}proxy-buffers-number`]: number, [`${NGINX_ANNOTATION_PREFIX}proxy-buffers-size`]: bufferSize } };
    },
  },
  'proxy-busy-buffers-size': { default: () => `${PAGE_KIB * 2}k`, check: size, render: (v) => ({ location: `proxy_busy_buffers_size ${v};` }) },
  'proxy-connect-timeout': { default: () => '60s', check: seconds, render: timeoutAnnotation('proxy-connect-timeout') },
  'proxy-keepalive': {},
  'proxy-read-timeout': { default: () => '60s', check: seconds, render: timeoutAnnotation('proxy-read-timeout') },
  'proxy-send-timeout': { default: () => '60s', check: seconds, render: timeoutAnnotation('proxy-send-timeout') },
  'send-timeout': { default: () => '60s', check: time, render: server('send_timeout') },
  'underscore-in-headers': { default: () => 'off', check: onOff, render: server('underscores_in_headers') },
  'x-forwarded-for-value': {},
  'x-forwarded-port-value': {},
  'x-forwarded-proto-value': {},
  'x-forwarded-ssl': { check: onOff, render: (v) => ({ location: `proxy_set_header X-Forwarded-SSL ${v};` }) },
};

/** A problem with one nginx property, by name. */
export interface NginxProblem {
  readonly name: string;
  readonly message: string;
}

/**
 * The ingress-nginx annotations of an app's Ingresses: one annotation per mapped property,
 * plus `configuration-snippet` and `server-snippet` with one line per property, in property
 * name order, as Dokku builds them. Unset properties take the nginx plugin's default.
 */
export function nginxAnnotations(
  app: string,
  values: Readonly<Record<string, string>> | undefined,
): { annotations: Record<string, string>; problems: NginxProblem[] } {
  const problems: NginxProblem[] = [];
  for (const [name, value] of Object.entries(values ?? {})) {
    const def = NGINX_PROPERTIES[name];
    if (!def) {
      problems.push({ name, message: `is not a known nginx property; known properties: ${Object.keys(NGINX_PROPERTIES).join(', ')}` });
      continue;
    }
    const problem = def.check?.(value);
    if (problem) problems.push({ name, message: problem });
  }
  const annotations: Record<string, string> = {};
  const location: string[] = [];
  const serverLines: string[] = [];
  for (const name of Object.keys(NGINX_PROPERTIES).sort()) {
    const def = NGINX_PROPERTIES[name]!;
    const value = values?.[name] ?? def.default?.(app);
    if (value === undefined || !def.render || problems.some((p) => p.name === name)) continue;
    const out = def.render(value);
    Object.assign(annotations, out.annotations);
    if (out.location) location.push(out.location);
    if (out.server) serverLines.push(out.server);
  }
  if (location.length) annotations[`${NGINX_ANNOTATION_PREFIX}configuration-snippet`] = location.map((l) => `${l}\n`).join('');
  if (serverLines.length) annotations[`${NGINX_ANNOTATION_PREFIX}server-snippet`] = serverLines.map((l) => `${l}\n`).join('');
  return { annotations, problems };
}
