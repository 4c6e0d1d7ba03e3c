/**
 * Routing and TLS, resolved with scheduler-k3s's rules: the domains of the web process, the
 * ingress class, where the certificate comes from (`P/functions.go` `resolveAppTLSConfig`),
 * the web port maps with their TLS twins (`P/chart.go`), and the names the ingress objects
 * get. Constructs only render the result.
 */
import { type FieldPath, show } from '../state/_problems.js';
import type { AppSpec, ImportedCert } from '../state/types.js';
import { isDnsSubdomain, MAX_LABEL } from './names.js';
import { nginxAnnotations } from './nginx.js';
import { completePortMaps, type PortMap } from './ports.js';
import { ComputedProperties } from './properties.js';

/** Let's Encrypt's ACME directories (`P/scheduler_k3s.go` `LetsencryptServerProd` / `-Stag`). */
export const LETSENCRYPT_SERVERS = {
  prod: 'https://acme-v02.api.letsencrypt.org/directory',
  stag: 'https://acme-staging-v02.api.letsencrypt.org/directory',
} as const;

/** The longest Kubernetes object name (a DNS-1123 subdomain). */
const MAX_NAME = 253;

/** The global `ingress-class` property: which controller routes the apps. */
export type IngressClassName = 'nginx' | 'traefik';

/** The global `traefik-version` property: which `HostRegexp` syntax wildcard routes use. */
export type TraefikVersion = 'v2' | 'v3';

/** The kind of cert-manager issuer a Certificate refers to. */
export type CertIssuerKind = 'Issuer' | 'ClusterIssuer';

/** One domain of the web process. */
export interface RoutedDomain {
  /** The domain as given: `app.example.com` or `*.example.com`. */
  readonly name: string;
  /** True for `*.<domain>`. */
  readonly wildcard: boolean;
  /** The Ingress name suffix: `app-example-com`, `wildcard-example-com`. */
  readonly slug: string;
}

/** An ACME (Let's Encrypt) issuer with an http01 solver. */
export interface AcmeIssuer {
  /** Object name, also the name of the Secret holding the ACME account key. */
  readonly name: string;
  readonly email: string;
  /** The ACME directory URL. */
  readonly server: string;
  /** The ingress class of the http01 solver. */
  readonly ingressClass: IngressClassName;
}

/** Where the web process's certificate comes from. */
export interface AppTls {
  /** True when the web process serves https. */
  readonly enabled: boolean;
  /** The imported certificate (`certs:add`), served from Secret `tls-<app>`. */
  readonly importedCert?: ImportedCert;
  /** The issuer a cert-manager Certificate refers to (absent for imported certs and when TLS is off). */
  readonly issuerRef?: { readonly kind: CertIssuerKind; readonly name: string };
  /** The app's own Let's Encrypt Issuer, when the app sets its own email for the selected server. */
  readonly appIssuer?: AcmeIssuer;
}

/** An app's routing, resolved. */
export interface AppRouting {
  readonly ingressClass: IngressClassName;
  readonly traefikVersion: TraefikVersion;
  /** Domains of the web process, sorted, without duplicates; empty when the app has no web process. */
  readonly domains: readonly RoutedDomain[];
  readonly tls: AppTls;
  /** ingress-nginx annotations and snippets from the nginx properties (used by the nginx class only). */
  readonly nginxAnnotations: Readonly<Record<string, string>>;
}

/** Reports a problem at a field of the app document. */
export type ReportProblem = (path: FieldPath, message: string) => void;

/** What {@link resolveRouting} reads. */
export interface RoutingInput {
  /** The app name. */
  readonly app: string;
  readonly spec: AppSpec;
  readonly properties: ComputedProperties;
  /** The app's process types. */
  readonly processTypes: readonly string[];
}

/**
 * The Ingress name suffix of a domain: `gosimple/slug` of the domain, with a leading `*.`
 * spelled `wildcard-` so that `*.x` and `x` never share a name (`P/functions.go` `domainSlug`).
 */
export function domainSlug(domain: string): string {
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^[-_]+|[-_]+$/g, '');
  return domain.startsWith('*.') ? `wildcard-${slug(domain.slice(2))}` : slug(domain);
}

/**
 * The Traefik router rule of a domain: `Host(\`x\`)`, or for `*.x` a `HostRegexp` that
 * matches one label: Traefik v3 takes a Go regular expression, v2 a `{name:regexp}` template.
 */
export function traefikHostMatch(domain: string, version: TraefikVersion): string {
  if (!domain.startsWith('*.')) return `Host(\`${domain}\`)`;
  const parent = domain.slice(2);
  return version === 'v2' ? `HostRegexp(\`{subdomain:[^.]+}.${parent}\`)` : `HostRegexp(\`^[^.]+\\.${parent.replace(/\./g, '\\.')}$\`)`;
}

/** The Secret that holds a process's certificate: `tls-<app>` when imported, else `tls-<app>-<process>`. */
export function tlsSecretName(app: string, processType: string, tls: AppTls): string {
  return tls.importedCert ? `tls-${app}` : `tls-${app}-${processType}`;
}

/** Why a domain cannot be routed, or undefined when it can. */
function domainProblem(domain: string): string | undefined {
  const host = domain.startsWith('*.') ? domain.slice(2) : domain;
  if (/^\d+(\.\d+){3}$/.test(host)) return `${show(domain)} is an IP address; Ingresses and IngressRoutes route hostnames only`;
  if (!isDnsSubdomain(host) || host.split('.').some((label) => label.length > MAX_LABEL)) {
    return `${show(domain)} is not a hostname or a "*." wildcard: use lowercase letters, digits, '-' and '.', such as app.example.com or *.example.com`;
  }
  return undefined;
}

/**
 * Where the web process's certificate comes from, in Dokku's order: an imported cert; TLS
 * off when `letsencrypt-server` is `false`; an operator-managed issuer named by
 * `cert-issuer-name` (unless `false`); else Let's Encrypt when an email is set for the
 * selected server, through the shared ClusterIssuer, or through the app's own Issuer when
 * the app sets its own email.
 */
export function resolveTls(app: string, spec: AppSpec, properties: ComputedProperties, ingressClass: IngressClassName): AppTls {
  if (spec.certs) return { enabled: true, importedCert: spec.certs };
  const server = properties.get('letsencrypt-server');
  if (server === 'false') return { enabled: false };
  const issuerName = properties.get('cert-issuer-name');
  if (issuerName && issuerName !== 'false') {
    return { enabled: true, issuerRef: { kind: (properties.get('cert-issuer-kind') ?? 'ClusterIssuer') as CertIssuerKind, name: issuerName } };
  }
  const env = server === 'stag' || server === 'staging' ? 'stag' : 'prod';
  const emailProperty = env === 'prod' ? 'letsencrypt-email-prod' : 'letsencrypt-email-stag';
  const email = properties.get(emailProperty);
  if (!email) return { enabled: false };
  const clusterIssuer = `letsencrypt-${env}`;
  if (!properties.setOnApp(emailProperty)) return { enabled: true, issuerRef: { kind: 'ClusterIssuer', name: clusterIssuer } };
  const name = `${app}-${clusterIssuer}`;
  return { enabled: true, issuerRef: { kind: 'Issuer', name }, appIssuer: { name, email, server: LETSENCRYPT_SERVERS[env], ingressClass } };
}

/**
 * The shared Let's Encrypt ClusterIssuers that the global emails ask for: `letsencrypt-prod`
 * when `letsencrypt-email-prod` is set globally, `letsencrypt-stag` when
 * `letsencrypt-email-stag` is (`P/functions.go` `applyClusterIssuers`).
 *
 * @param globalProperties the checked global properties
 */
export function clusterIssuers(globalProperties: Readonly<Record<string, string>>): AcmeIssuer[] {
  const properties = new ComputedProperties({}, globalProperties);
  const ingressClass = properties.get('ingress-class') as IngressClassName;
  return (['prod', 'stag'] as const).flatMap((env) => {
    const email = globalProperties[`letsencrypt-email-${env}`];
    return email ? [{ name: `letsencrypt-${env}`, email, server: LETSENCRYPT_SERVERS[env], ingressClass }] : [];
  });
}

/** Checks that a generated label value fits; `what` names the label and its object. */
function checkLabel(app: string, value: string, what: string, at: ReportProblem): void {
  if (value.length <= MAX_LABEL) return;
  at(
    ['metadata', 'name'],
    `${show(value)} (${what}) is longer than the ${MAX_LABEL} characters of a label value; use an app name of at most ${MAX_LABEL - (value.length - app.length)} characters`,
  );
}

/**
 * Resolves the routing of an app: domains (checked; only the web process gets them),
 * ingress class, Traefik version, TLS and the nginx annotations. Problems go to `at`.
 */
export function resolveRouting(input: RoutingInput, at: ReportProblem): AppRouting {
  const { app, spec, properties } = input;
  const ingressClass = properties.get('ingress-class') as IngressClassName;
  const traefikVersion = properties.get('traefik-version') as TraefikVersion;

  const byName = new Map<string, RoutedDomain>();
  (spec.domains ?? []).forEach((name, i) => {
    const problem = domainProblem(name);
    if (problem) at(['spec', 'domains', i], problem);
    else byName.set(name, { name, wildcard: name.startsWith('*.'), slug: domainSlug(name) });
  });
  const hasWeb = input.processTypes.includes('web');
  if (byName.size && !hasWeb) {
    at(['spec', 'domains'], `routes to the web process, but the app has none (process types: ${input.processTypes.join(', ') || '(none)'}); add a "web" process to the Procfile or remove the domains`);
  }
  const domains = hasWeb ? [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : [];

  const tls = resolveTls(app, spec, properties, ingressClass);
  const nginx = nginxAnnotations(app, spec.nginx);
  for (const p of nginx.problems) at(['spec', 'nginx', p.name], p.message);

  if (domains.length && ingressClass === 'nginx') {
    const bySlug = new Map<string, string>();
    for (const d of domains) {
      const name = `${app}-web-${d.slug}`;
      const other = bySlug.get(d.slug);
      if (other) at(['spec', 'domains'], `${show(other)} and ${show(d.name)} would both be routed by the Ingress ${show(name)}; remove one of them`);
      else bySlug.set(d.slug, d.name);
      if (name.length > MAX_NAME) at(['spec', 'domains'], `the Ingress name ${show(name)} of ${show(d.name)} is longer than ${MAX_NAME} characters; use a shorter domain`);
    }
  }
  if (domains.length && ingressClass === 'traefik') checkLabel(app, `${app}-web-redirect-to-https`, 'the app.kubernetes.io/instance label of a Middleware', at);
  if (tls.appIssuer) checkLabel(app, tls.appIssuer.name, 'the app.kubernetes.io/name label of the Issuer', at);
  if (tls.importedCert) checkLabel(app, `tls-${app}`, 'the app.kubernetes.io/name label of the imported TLS Secret', at);

  return { ingressClass, traefikVersion, domains, tls, nginxAnnotations: nginx.annotations };
}

/**
 * The web process's port maps: Dokku's completion ({@link completePortMaps}) with the TLS
 * twins, then a check that no two maps claim the same Service port, which Kubernetes
 * rejects and Dokku never checks.
 *
 * @param maps the parsed `ports:set` maps (or the default `http:80:5000`)
 */
export function webPortMaps(maps: readonly PortMap[], tls: boolean, at: ReportProblem): PortMap[] {
  const complete = completePortMaps(maps, tls);
  const given = new Set(maps.map((m) => m.name));
  const byPort = new Map<number, PortMap[]>();
  for (const m of complete) byPort.set(m.hostPort, [...(byPort.get(m.hostPort) ?? []), m]);
  for (const [port, claims] of [...byPort].sort(([a], [b]) => a - b)) {
    if (claims.length < 2) continue;
    const names = claims.map((m) => show(m.name));
    const listed = names.length === 2 ? `${names[0]} and ${names[1]} both claim` : `${names.slice(0, -1).join(', ')} and ${names.at(-1)} all claim`;
    const sources: string[] = [];
    const rules = new Set<string>();
    const twins = claims.flatMap((m) => {
      if (given.has(m.name)) {
        sources.push(m.name);
        return [];
      }
      // a twin comes from a given map of the other web scheme with the same container port
      const origin = complete.find((o) => given.has(o.name) && o.containerPort === m.containerPort && o.scheme !== m.scheme)!;
      sources.push(origin.name);
      rules.add(m.scheme === 'https' ? 'with TLS on, every http map gets an https:443 twin' : 'every https map gets an http:80 twin');
      return [`${show(m.name)} is the twin of ${show(origin.name)}`];
    });
    const twinsText = `${twins.join(', ')} (${[...rules].join('; ')})`;
    const unique = [...new Set(sources)].map((n) => show(n));
    const fix = !twins.length
      ? 'give all but one of them another host port'
      : unique.length === 1
        ? `${twinsText}; give ${unique[0]} another host port`
        : `${twinsText}; use one container port for ${unique.slice(0, -1).join(', ')} and ${unique.at(-1)}, or keep only one of them`;
    at(['spec', 'ports'], `port maps ${listed} Service port ${port}; ${fix}`);
  }
  return complete;
}
