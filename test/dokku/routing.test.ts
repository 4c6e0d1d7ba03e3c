import { describe, expect, it } from 'vitest';
import { nginxAnnotations, nginxSeconds } from '../../src/dokku/nginx.js';
import { domainSlug, traefikHostMatch } from '../../src/dokku/routing.js';
import { app, problemsOf } from '../_support/compile.js';

const GLOBAL = (spec: string) => `apiVersion: dokku-gitops/v1\nkind: Global\nspec:\n${spec.split('\n').map((l) => `  ${l}`).join('\n')}\n`;
const NOT_A_HOSTNAME = "is not a hostname or a \"*.\" wildcard: use lowercase letters, digits, '-' and '.', such as app.example.com or *.example.com";

describe('routing rules', () => {
  it.each([
    ['app.example.com', 'app-example-com'],
    ['*.example.com', 'wildcard-example-com'],
    ['a--b.example.com', 'a-b-example-com'],
    ['example.com', 'example-com'],
  ])('slugs %s as %s (P/functions_test.go TestDomainSlug)', (domain, slug) => {
    expect(domainSlug(domain)).toBe(slug);
  });

  it.each([
    ['app.example.com', 'v3', 'Host(`app.example.com`)'],
    ['app.example.com', 'v2', 'Host(`app.example.com`)'],
    ['*.example.com', 'v3', 'HostRegexp(`^[^.]+\\.example\\.com$`)'],
    ['*.example.com', 'v2', 'HostRegexp(`{subdomain:[^.]+}.example.com`)'],
  ] as const)('matches %s on Traefik %s with %s', (domain, version, match) => {
    expect(traefikHostMatch(domain, version)).toBe(match);
  });

  it('matches exactly one label with the v3 regexp, anchored', () => {
    const regexp = new RegExp(/^HostRegexp\(`(.*)`\)$/.exec(traefikHostMatch('*.example.com', 'v3'))![1]!);
    expect(['a.example.com', 'b-1.example.com'].map((h) => regexp.test(h))).toEqual([true, true]);
    expect(['example.com', 'a.b.example.com', 'a.example.com.evil.net', 'aexample.com'].map((h) => regexp.test(h))).toEqual([false, false, false, false]);
  });

  it.each([
    ['60s', 60],
    ['90', 90],
    ['1m', 60],
    ['1h30m', 5400],
    ['2000ms', 2],
    ['5ms', undefined],
    ['soon', undefined],
    ['1 m', undefined],
  ])('reads the nginx time %j as %j seconds', (value, seconds) => {
    expect(nginxSeconds(value)).toBe(seconds);
  });

  it('ignores the nginx properties scheduler-k3s reads but never renders', () => {
    const defaults = nginxAnnotations('a', undefined).annotations;
    expect(nginxAnnotations('a', { hsts: 'false', 'bind-address-ipv4': '10.0.0.1', 'access-log-format': 'json', 'proxy-keepalive': '32' })).toEqual({ annotations: defaults, problems: [] });
  });
});

describe('bad routing input', () => {
  it.each([
    ['A.example.com', `"A.example.com" ${NOT_A_HOSTNAME}`],
    ['foo_bar.example.com', `"foo_bar.example.com" ${NOT_A_HOSTNAME}`],
    ['*', `"*" ${NOT_A_HOSTNAME}`],
    ['app.*.example.com', `"app.*.example.com" ${NOT_A_HOSTNAME}`],
    ['10.0.0.1', '"10.0.0.1" is an IP address; Ingresses and IngressRoutes route hostnames only'],
  ])('fails if a domain is %j', (domain, message) => {
    expect(problemsOf(app('a', `image: x:1\ndomains: [ok.example.com, "${domain}"]`))).toEqual([`state-1.yaml:7: app a: spec.domains[1]: ${message}`]);
  });

  it('fails if the app has domains but no web process, saying what to change', () => {
    expect(problemsOf(app('a', 'image: x:1\nprocfile: "worker: a\\nclock: b"\ndomains: [a.example.com]'))).toEqual([
      'state-1.yaml:8: app a: spec.domains: routes to the web process, but the app has none (process types: worker, clock); add a "web" process to the Procfile or remove the domains',
    ]);
  });

  it('fails if two domains would share an Ingress name on nginx', () => {
    expect(problemsOf(app('a', 'image: x:1\ndomains: [a-b.example.com, a.b.example.com]'))).toEqual([
      'state-1.yaml:7: app a: spec.domains: "a-b.example.com" and "a.b.example.com" would both be routed by the Ingress "a-web-a-b-example-com"; remove one of them',
    ]);
  });

  it('fails if a port map is malformed', () => {
    expect(problemsOf(app('a', 'image: x:1\nports: ["https:443"]'))).toEqual([
      'state-1.yaml:7: app a: spec.ports[0]: "https:443" is not a port map; expected scheme:host:container such as http:80:5000, with scheme http, https, tcp, udp and ports 1-65535',
    ]);
  });

  it('fails if a port map name would break the 15-character limit of Kubernetes port names (Dokku never checks)', () => {
    expect(problemsOf(app('a', 'image: x:1\nports: ["https:4430:50000"]'))).toEqual([
      'state-1.yaml:7: app a: spec.ports[0]: port map "https:4430:50000" would be named "https-4430-50000", which is longer than the 15 characters Kubernetes allows for port names; use a host or container port with fewer digits',
    ]);
  });

  it('fails if two port maps claim the same Service port', () => {
    expect(problemsOf(app('a', 'image: x:1\nports: ["http:80:5000", "http:80:3000"]'))).toEqual([
      'state-1.yaml:7: app a: spec.ports: port maps "http-80-3000" and "http-80-5000" both claim Service port 80; give all but one of them another host port',
    ]);
  });

  it('fails if the TLS twins of two http maps claim port 443, saying where the twins come from', () => {
    expect(problemsOf(app('a', 'image: x:1\nports: ["http:80:5000", "http:8080:3000"]'), GLOBAL('properties: {letsencrypt-email-prod: ops@example.com}'))).toEqual([
      'state-1.yaml:7: app a: spec.ports: port maps "https-443-3000" and "https-443-5000" both claim Service port 443; "https-443-3000" is the twin of "http-8080-3000", ' +
        '"https-443-5000" is the twin of "http-80-5000" (with TLS on, every http map gets an https:443 twin); use one container port for "http-8080-3000" and "http-80-5000", or keep only one of them',
    ]);
  });

  it('fails if the http:80 twin of an https map claims a port another map has', () => {
    expect(problemsOf(app('a', 'image: x:1\nports: ["http:80:5000", "https:8443:4000"]'))).toEqual([
      'state-1.yaml:7: app a: spec.ports: port maps "http-80-4000" and "http-80-5000" both claim Service port 80; "http-80-4000" is the twin of "https-8443-4000" ' +
        '(every https map gets an http:80 twin); use one container port for "https-8443-4000" and "http-80-5000", or keep only one of them',
    ]);
    expect(problemsOf(app('a', 'image: x:1\nports: ["https:80:5000"]'))).toEqual([
      'state-1.yaml:7: app a: spec.ports: port maps "http-80-5000" and "https-80-5000" both claim Service port 80; "http-80-5000" is the twin of "https-80-5000" ' +
        '(every https map gets an http:80 twin); give "https-80-5000" another host port',
    ]);
  });

  it('fails if the ingress class or the Traefik version is unknown', () => {
    expect(problemsOf(app('a', 'image: x:1'), GLOBAL('properties: {ingress-class: haproxy, traefik-version: v4}'))).toEqual([
      'state-2.yaml:4: Global: spec.properties.ingress-class: "haproxy" is not allowed; allowed values: nginx, traefik',
      'state-2.yaml:4: Global: spec.properties.traefik-version: "v4" is not allowed; allowed values: v3, v2',
    ]);
  });

  it('fails if the ingress class is set on an app (it is global)', () => {
    expect(problemsOf(app('a', 'image: x:1\nproperties: {ingress-class: traefik}'))).toEqual([
      'state-1.yaml:7: app a: spec.properties.ingress-class: is a global property: set it in the Global document',
    ]);
  });

  it.each([
    ['cert-issuer-kind: Certificate', 'cert-issuer-kind: "Certificate" is not allowed; allowed values: Issuer, ClusterIssuer (case-insensitive)'],
    ['cert-issuer-name: my_own_issuer_name', 'cert-issuer-name: "my_own_issuer_name" is not a DNS-1123 name (lowercase letters, digits, \'-\' and \'.\'), or false'],
    ['letsencrypt-server: prodd', 'letsencrypt-server: "prodd" is not allowed; allowed values: prod, production, stag, staging, false'],
    ['letsencrypt-email-prod: ops', 'letsencrypt-email-prod: "ops" is not an email address (ops@example.com)'],
  ])('fails if %s (scheduler-k3s-report.bats)', (property, message) => {
    expect(problemsOf(app('a', `image: x:1\nproperties: {${property}}`))).toEqual([`state-1.yaml:7: app a: spec.properties.${message}`]);
  });

  it.each(['production', 'staging', 'stag', 'prod', 'false'])('accepts letsencrypt-server %s', (server) => {
    expect(() => problemsOf(app('a', `image: x:1\nproperties: {letsencrypt-server: "${server}"}`))).toThrow('the state was accepted');
  });

  it('fails if an nginx property is unknown or its value could not be rendered safely', () => {
    const problems = problemsOf(
      app('a', 'image: x:1\nnginx: {proxy-read-timout: 1m, proxy-read-timeout: 5ms, client-max-body-size: huge, proxy-buffers: "8", x-forwarded-ssl: "yes", access-log-path: "/x; evil", keepalive-timeout: "1m;"}'),
    );
    expect(problems[0]).toMatch(/^state-1\.yaml:7: app a: spec\.nginx\.proxy-read-timout: is not a known nginx property; known properties: access-log-format, access-log-path, /);
    expect(problems.slice(1)).toEqual([
      'state-1.yaml:7: app a: spec.nginx.proxy-read-timeout: "5ms" is not an nginx time of whole seconds (60s, 1m, 90)',
      'state-1.yaml:7: app a: spec.nginx.client-max-body-size: "huge" is not an nginx size (1m, 4k, 512)',
      'state-1.yaml:7: app a: spec.nginx.proxy-buffers: "8" is not "<number> <size>" (8 4k)',
      'state-1.yaml:7: app a: spec.nginx.x-forwarded-ssl: "yes" is not allowed; allowed values: on, off',
      'state-1.yaml:7: app a: spec.nginx.access-log-path: "/x; evil" is not an absolute path without spaces, quotes or \';{}#\'',
      'state-1.yaml:7: app a: spec.nginx.keepalive-timeout: "1m;" is not an nginx time (60s, 1m, 1h30m)',
    ]);
  });

  it('fails if a generated label value would be longer than 63 characters, saying how long the app name may be', () => {
    const name = 'a-very-long-app-name-that-is-forty-six-chars-ab';
    expect(problemsOf(app(name, 'image: x:1\ndomains: [a.example.com]'), GLOBAL('properties: {ingress-class: traefik}'))).toEqual([
      `state-1.yaml:4: app ${name}: metadata.name: "${name}-web-redirect-to-https" (the app.kubernetes.io/instance label of a Middleware) is longer than the 63 characters of a label value; use an app name of at most 41 characters`,
    ]);
  });
});
