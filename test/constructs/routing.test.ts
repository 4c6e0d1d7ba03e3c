import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFolders } from '../../src/output/write.js';
import { foldersOf } from '../../src/synth.js';
import { app, compileText, find, objectsOf, TEST_KEY } from '../_support/compile.js';
import { validateObject } from '../_support/validate.js';

const GLOBAL = (spec: string) => `apiVersion: dokku-gitops/v1\nkind: Global\nspec:\n${spec.split('\n').map((l) => `  ${l}`).join('\n')}\n`;
const TRAEFIK = GLOBAL('properties: {ingress-class: traefik}');
const TRAEFIK_TLS = GLOBAL('properties: {ingress-class: traefik, letsencrypt-email-prod: ops@example.com}');
const NGINX_TLS = GLOBAL('properties: {letsencrypt-email-prod: ops@example.com}');
const CERTS = 'certs: {crt: "-----BEGIN CERTIFICATE-----\\nY3J0\\n-----END CERTIFICATE-----\\n", key: "-----BEGIN PRIVATE KEY-----\\na2V5\\n-----END PRIVATE KEY-----\\n"}';

const names = (result: ReturnType<typeof compileText>, kind: string) => objectsOf(result).filter((o) => o.kind === kind).map((o) => o.metadata.name);

describe('Traefik IngressRoutes', () => {
  it('renders one IngressRoute per port map on the web entrypoint when TLS is off', () => {
    // GIVEN traefik, two http maps, no certificate source
    const result = compileText(app('a', 'image: x:1\ndomains: [a.example.com]\nports: ["http:80:5000", "http:8080:3000"]'), TRAEFIK);
    // THEN
    expect(names(result, 'IngressRoute')).toEqual(['a-web-http-80-5000', 'a-web-http-8080-3000']);
    expect(find(result, 'IngressRoute', 'a-web-http-8080-3000').spec).toEqual({
      entryPoints: ['web'],
      routes: [
        {
          kind: 'Rule',
          match: 'Host(`a.example.com`)',
          middlewares: [{ name: 'a-web-compression', namespace: 'default' }],
          services: [{ name: 'a-web', namespace: 'default', passHostHeader: true, port: 'http-8080-3000', scheme: 'http' }],
        },
      ],
    });
  });

  it('adds a websecure IngressRoute with the certificate Secret, and the redirect on web, when TLS is on', () => {
    const result = compileText(app('a', 'image: x:1\ndomains: [a.example.com]'), TRAEFIK_TLS);
    expect(names(result, 'IngressRoute')).toEqual(['a-web-http-80-5000', 'a-web-http-80-5000-websecure']);
    const web = find(result, 'IngressRoute', 'a-web-http-80-5000').spec;
    const secure = find(result, 'IngressRoute', 'a-web-http-80-5000-websecure').spec;
    expect(web.entryPoints).toEqual(['web']);
    expect(web.routes[0].middlewares).toEqual([
      { name: 'a-web-compression', namespace: 'default' },
      { name: 'a-web-redirect-to-https', namespace: 'default' },
    ]);
    expect(web.tls).toBeUndefined();
    expect(secure.entryPoints).toEqual(['websecure']);
    expect(secure.routes[0].middlewares).toEqual([{ name: 'a-web-compression', namespace: 'default' }]);
    expect(secure.tls).toEqual({ secretName: 'tls-a-web' });
  });

  it('skips an https map that has an http-80 sibling on the same container port (scheduler-k3s-certs-redirect.bats)', () => {
    const result = compileText(app('a', 'image: x:1\ndomains: [a.example.com]\nports: ["https:443:5000"]'), TRAEFIK_TLS);
    expect(names(result, 'IngressRoute')).toEqual(['a-web-http-80-5000', 'a-web-http-80-5000-websecure']);
  });

  it('renders one route per domain, sorted, in the app namespace', () => {
    const result = compileText(app('a', 'image: x:1\ndomains: [b.example.com, a.example.com]\nproperties: {namespace: shop}'), TRAEFIK);
    const route = find(result, 'IngressRoute', 'a-web-http-80-5000');
    expect(route.metadata.namespace).toBe('shop');
    expect(route.spec.routes.map((r: any) => [r.match, r.services[0].namespace, r.middlewares[0].namespace])).toEqual([
      ['Host(`a.example.com`)', 'shop', 'shop'],
      ['Host(`b.example.com`)', 'shop', 'shop'],
    ]);
  });

  it('renders a wildcard as a Traefik v3 HostRegexp with priority 1, so that exact hosts win (scheduler-k3s-wildcard-1.bats)', () => {
    const route = find(compileText(app('a', 'image: x:1\ndomains: ["*.example.com", example.com]'), TRAEFIK), 'IngressRoute', 'a-web-http-80-5000');
    expect(route.spec.routes.map((r: any) => [r.match, r.priority])).toEqual([
      ['HostRegexp(`^[^.]+\\.example\\.com$`)', 1],
      ['Host(`example.com`)', undefined],
    ]);
  });

  it('renders the Traefik v2 {name:regexp} form when traefik-version is v2', () => {
    const result = compileText(app('a', 'image: x:1\ndomains: ["*.example.com"]'), GLOBAL('properties: {ingress-class: traefik, traefik-version: v2}'));
    expect(find(result, 'IngressRoute', 'a-web-http-80-5000').spec.routes[0]).toMatchObject({ match: 'HostRegexp(`{subdomain:[^.]+}.example.com`)', priority: 1 });
  });

  it('renders the compression and redirect-to-https Middlewares whenever there are domains, even without TLS', () => {
    const result = compileText(app('a', 'image: x:1\ndomains: [a.example.com]'), TRAEFIK);
    expect(find(result, 'Middleware', 'a-web-compression').spec).toEqual({ compress: {} });
    expect(find(result, 'Middleware', 'a-web-redirect-to-https').spec).toEqual({ redirectScheme: { scheme: 'https', permanent: true } });
    expect(find(result, 'Middleware', 'a-web-redirect-to-https').metadata.labels).toEqual({
      'app.kubernetes.io/instance': 'a-web-redirect-to-https',
      'app.kubernetes.io/name': 'web',
      'app.kubernetes.io/part-of': 'a',
      'app.kubernetes.io/managed-by': 'dokku-gitops',
    });
  });

  it('renders no routing objects for an app without domains, and no nginx Ingress on traefik', () => {
    const result = compileText(app('a', 'image: x:1'), app('b', 'image: x:1\ndomains: [b.example.com]'), TRAEFIK);
    expect(objectsOf(result).filter((o) => ['IngressRoute', 'Middleware', 'Ingress', 'Certificate'].includes(o.kind) && o.metadata.name.startsWith('a-'))).toEqual([]);
    expect(names(result, 'Ingress')).toEqual([]);
  });

  it('puts traefik_ingressroute and traefik_middleware annotations and labels on their objects, narrowest scope winning', () => {
    const result = compileText(
      app('a', `image: x:1
domains: [a.example.com]
annotations:
  --global: {traefik_ingressroute: {r: app, s: app}, traefik_middleware: {m: app}}
  web: {traefik_ingressroute: {r: web}}
labels:
  web: {traefik_ingressroute: {tier: edge, app.kubernetes.io/instance: hijack}, traefik_middleware: {mw: "yes"}}`),
      TRAEFIK,
    );
    const route = find(result, 'IngressRoute', 'a-web-http-80-5000');
    expect(route.metadata.annotations).toEqual({ 'dokku.com/managed': 'true', r: 'web', s: 'app' });
    expect(route.metadata.labels).toEqual({
      'app.kubernetes.io/instance': 'a-web',
      'app.kubernetes.io/name': 'web',
      'app.kubernetes.io/part-of': 'a',
      'app.kubernetes.io/managed-by': 'dokku-gitops',
      tier: 'edge',
    });
    for (const name of ['a-web-compression', 'a-web-redirect-to-https']) {
      expect(find(result, 'Middleware', name).metadata.annotations).toEqual({ 'dokku.com/managed': 'true', m: 'app' });
      expect(find(result, 'Middleware', name).metadata.labels.mw).toBe('yes');
    }
  });
});

describe('nginx Ingresses', () => {
  it('renders one Ingress per domain named <app>-web-<slug>, a wildcard as wildcard-<slug> (TestDomainSlug)', () => {
    const result = compileText(app('a', 'image: x:1\ndomains: [app.example.com, "*.example.com"]'));
    expect(names(result, 'Ingress')).toEqual(['a-web-app-example-com', 'a-web-wildcard-example-com']);
    expect(find(result, 'Ingress', 'a-web-wildcard-example-com').spec.rules[0].host).toBe('*.example.com');
  });

  it('routes to the primary port map by name, deterministically, with class nginx', () => {
    for (const ports of ['["http:8080:3000", "http:80:5000"]', '["http:80:5000", "http:8080:3000"]']) {
      const ingress = find(compileText(app('a', `image: x:1\ndomains: [a.example.com]\nports: ${ports}`)), 'Ingress', 'a-web-a-example-com');
      expect(ingress.spec).toEqual({
        ingressClassName: 'nginx',
        rules: [
          {
            host: 'a.example.com',
            http: { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: 'a-web', port: { name: 'http-80-5000' } } } }] },
          },
        ],
      });
    }
  });

  it('redirects to https and serves the certificate Secret when TLS is on (scheduler-k3s-certs-deploy.bats)', () => {
    const ingress = find(compileText(app('a', 'image: x:1\ndomains: [a.example.com]'), NGINX_TLS), 'Ingress', 'a-web-a-example-com');
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/force-ssl-redirect']).toBe('true');
    expect(ingress.spec.tls).toEqual([{ hosts: ['a.example.com'], secretName: 'tls-a-web' }]);
    expect(ingress.spec.rules[0].http.paths[0].backend.service.port).toEqual({ name: 'https-443-5000' });
  });

  it('renders the nginx properties with the nginx plugin defaults as annotations and snippets', () => {
    const ingress = find(compileText(app('a', 'image: x:1\ndomains: [a.example.com]')), 'Ingress', 'a-web-a-example-com');
    expect(ingress.metadata.annotations).toEqual({
      'dokku.com/managed': 'true',
      'dokku.com/ingress-method': 'domains',
      'nginx.ingress.kubernetes.io/proxy-body-size': '1m',
      'nginx.ingress.kubernetes.io/proxy-buffer-size': '4k',
      'nginx.ingress.kubernetes.io/proxy-buffering': 'on',
      'nginx.ingress.kubernetes.io/proxy-buffers-number': '8',
      'nginx.ingress.kubernetes.io/proxy-buffers-size': '4k',
      'nginx.ingress.kubernetes.io/proxy-connect-timeout': '60',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '60',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '60',
      'nginx.ingress.kubernetes.io/configuration-snippet': 'proxy_busy_buffers_size 8k;\n',
      'nginx.ingress.kubernetes.io/server-snippet':
        'access_log /var/log/nginx/a-access.log;\nclient_body_timeout 60s;\nclient_header_timeout 60s;\nerror_log /var/log/nginx/a-error.log;\n' +
        'keepalive_timeout 75s;\nlingering_timeout 5s;\nsend_timeout 60s;\nunderscores_in_headers off;\n',
    });
  });

  it('renders set nginx properties, converting proxy timeouts to seconds (Dokku strips the unit: 2m would be 2)', () => {
    const ingress = find(
      compileText(
        app('a', 'image: x:1\ndomains: [a.example.com]\nnginx: {client-max-body-size: 50m, proxy-read-timeout: 2m, proxy-buffers: 16 8k, x-forwarded-ssl: "on", access-log-path: "off", hsts: "false"}'),
      ),
      'Ingress',
      'a-web-a-example-com',
    );
    const a = ingress.metadata.annotations;
    expect(a['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('50m');
    expect(a['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('120');
    expect(a['nginx.ingress.kubernetes.io/proxy-buffers-number']).toBe('16');
    expect(a['nginx.ingress.kubernetes.io/proxy-buffers-size']).toBe('8k');
    expect(a['nginx.ingress.kubernetes.io/configuration-snippet']).toBe('proxy_busy_buffers_size 8k;\nproxy_set_header X-Forwarded-SSL on;\n');
    expect(a['nginx.ingress.kubernetes.io/server-snippet'].split('\n')[0]).toBe('access_log off;');
    expect(Object.keys(a).filter((k) => k.includes('hsts'))).toEqual([]);
  });

  it('takes user annotations from the ingress resource type, not from deployment (Dokku reads deployment)', () => {
    const result = compileText(
      app('a', `image: x:1
domains: [a.example.com]
annotations:
  --global: {ingress: {i: app, nginx.ingress.kubernetes.io/proxy-body-size: 10m}, deployment: {d: app}}
  web: {ingress: {i: web}, deployment: {d: web}}
labels:
  web: {ingress: {exposure: public}, deployment: {dl: "yes"}}`),
    );
    const ingress = find(result, 'Ingress', 'a-web-a-example-com');
    expect(ingress.metadata.annotations.i).toBe('web');
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('10m');
    expect(ingress.metadata.annotations.d).toBeUndefined();
    expect(ingress.metadata.labels).toEqual({
      'app.kubernetes.io/instance': 'a-web',
      'app.kubernetes.io/name': 'web',
      'app.kubernetes.io/part-of': 'a',
      'app.kubernetes.io/managed-by': 'dokku-gitops',
      exposure: 'public',
    });
    expect(find(result, 'Deployment', 'a-web').metadata.annotations.d).toBe('web');
  });

  it('routes only the web process: an exposed process gets a Service but no Ingress', () => {
    const result = compileText(app('a', 'image: x:1\nprocfile: "web: a\\ngrpc: b"\nappJson: {formation: {grpc: {service: {exposed: true}}}}\ndomains: [a.example.com]'));
    expect(names(result, 'Ingress')).toEqual(['a-web-a-example-com']);
    expect(find(result, 'Service', 'a-grpc').spec.ports.map((p: any) => p.name)).toEqual(['http-5000-5000']);
  });
});

describe('port maps with TLS', () => {
  const servicePorts = (spec: string, ...more: string[]) =>
    find(compileText(app('a', `image: x:1\n${spec}`), ...more), 'Service', 'a-web').spec.ports.map((p: any) => [p.name, p.port, p.targetPort]);

  it('gives every http map an https:443 twin when TLS is on, and none when it is off', () => {
    expect(servicePorts('ports: ["http:80:5000"]', NGINX_TLS)).toEqual([
      ['http-80-5000', 80, 5000],
      ['https-443-5000', 443, 5000],
    ]);
    expect(servicePorts('ports: ["http:80:5000"]')).toEqual([['http-80-5000', 80, 5000]]);
  });

  it('gives every https map an http:80 twin, TLS or not, and declares the container port once', () => {
    const result = compileText(app('a', 'image: x:1\nports: ["https:443:5000"]'));
    expect(find(result, 'Service', 'a-web').spec.ports.map((p: any) => p.name)).toEqual(['http-80-5000', 'https-443-5000']);
    expect(find(result, 'Deployment', 'a-web').spec.template.spec.containers[0].ports).toEqual([{ name: 'http-80-5000', containerPort: 5000, protocol: 'TCP' }]);
  });

  it('drops tcp and udp maps from the web Service', () => {
    expect(servicePorts('ports: ["http:80:5000", "tcp:2222:22"]')).toEqual([['http-80-5000', 80, 5000]]);
  });
});

describe('TLS sources, in Dokku\'s order', () => {
  it('serves an imported cert from Secret tls-<app>, with Dokku\'s labels, and ignores Let\'s Encrypt', () => {
    // GIVEN an imported cert and a global email
    const result = compileText(app('a', `image: x:1\ndomains: [a.example.com]\n${CERTS}\nlabels: {--global: {secret: {backup: "yes"}}}`), NGINX_TLS);
    // THEN
    const secret = find(result, 'Secret', 'tls-a');
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(secret.data['tls.crt'], 'base64').toString()).toBe('-----BEGIN CERTIFICATE-----\nY3J0\n-----END CERTIFICATE-----\n');
    expect(Buffer.from(secret.data['tls.key'], 'base64').toString()).toBe('-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n');
    expect(secret.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'tls-a',
      'app.kubernetes.io/part-of': 'a',
      'app.kubernetes.io/managed-by': 'dokku-gitops',
      'dokku.com/cert-source': 'imported',
      'dokku.com/cert-checksum': expect.stringMatching(/^[0-9a-f]{56}$/),
      backup: 'yes',
    });
    expect(find(result, 'Ingress', 'a-web-a-example-com').spec.tls).toEqual([{ hosts: ['a.example.com'], secretName: 'tls-a' }]);
    expect(names(result, 'Certificate')).toEqual([]);
  });

  it('keys the imported cert checksum with the host-held key: no plain hash of the private key reaches Git', () => {
    const crt = '-----BEGIN CERTIFICATE-----\nY3J0\n-----END CERTIFICATE-----\n';
    const key = '-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n';
    const checksum = find(compileText(app('a', `image: x:1\n${CERTS}`)), 'Secret', 'tls-a').metadata.labels['dokku.com/cert-checksum'];
    expect(checksum).toBe(createHmac('sha224', TEST_KEY).update(crt + key).digest('hex'));
    expect(checksum).not.toBe(createHash('sha224').update(crt + key).digest('hex'));
  });

  it('serves the imported cert on the Traefik websecure route', () => {
    const result = compileText(app('a', `image: x:1\ndomains: [a.example.com]\n${CERTS}`), TRAEFIK);
    expect(find(result, 'IngressRoute', 'a-web-http-80-5000-websecure').spec.tls).toEqual({ secretName: 'tls-a' });
  });

  it('turns TLS off with letsencrypt-server false, even with an email or a custom issuer (scheduler-k3s-certs-deploy-2.bats)', () => {
    const result = compileText(app('a', 'image: x:1\ndomains: [a.example.com]\nproperties: {letsencrypt-server: "false", cert-issuer-name: mine}'), NGINX_TLS);
    expect(names(result, 'Certificate')).toEqual([]);
    const ingress = find(result, 'Ingress', 'a-web-a-example-com');
    expect(ingress.spec.tls).toBeUndefined();
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/force-ssl-redirect']).toBeUndefined();
  });

  it('uses an operator-managed issuer from cert-issuer-name, kind normalised, before Let\'s Encrypt', () => {
    const result = compileText(app('a', 'image: x:1\ndomains: [a.example.com]\nproperties: {cert-issuer-name: dns01, cert-issuer-kind: ISSUER}'), NGINX_TLS);
    expect(find(result, 'Certificate', 'a-web').spec.issuerRef).toEqual({ kind: 'Issuer', name: 'dns01' });
    expect(names(result, 'Issuer')).toEqual([]);
  });

  it('defaults the custom issuer kind to ClusterIssuer, and cert-issuer-name false opts an app out of a global one', () => {
    const global = GLOBAL('properties: {cert-issuer-name: selfsigned, letsencrypt-email-prod: ops@example.com}');
    const result = compileText(app('a', 'image: x:1\ndomains: [a.example.com]'), app('b', 'image: x:1\ndomains: [b.example.com]\nproperties: {cert-issuer-name: "false"}'), global);
    expect(find(result, 'Certificate', 'a-web').spec.issuerRef).toEqual({ kind: 'ClusterIssuer', name: 'selfsigned' });
    expect(find(result, 'Certificate', 'b-web').spec.issuerRef).toEqual({ kind: 'ClusterIssuer', name: 'letsencrypt-prod' });
  });

  it('uses the shared ClusterIssuer letsencrypt-prod for a global email, rendered under platform/', () => {
    const result = compileText(app('a', 'image: x:1\ndomains: [a.example.com, "*.a.example.com"]'), TRAEFIK_TLS);
    const certificate = find(result, 'Certificate', 'a-web');
    expect(certificate.spec).toEqual({
      issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt-prod' },
      secretName: 'tls-a-web',
      secretTemplate: { annotations: { 'dokku.com/managed': 'true' }, labels: { 'app.kubernetes.io/name': 'a-web', 'app.kubernetes.io/part-of': 'a' } },
      dnsNames: ['*.a.example.com', 'a.example.com'],
    });
    expect(result.platform.map((m) => m.path)).toEqual(['platform/dokku/clusterissuer-letsencrypt-prod.yaml', 'platform/dokku/kustomization.yaml']);
    expect(find(result, 'ClusterIssuer', 'letsencrypt-prod').spec).toEqual({
      acme: {
        email: 'ops@example.com',
        server: 'https://acme-v02.api.letsencrypt.org/directory',
        privateKeySecretRef: { name: 'letsencrypt-prod' },
        solvers: [{ http01: { ingress: { class: 'traefik' } } }],
      },
    });
  });

  it('uses letsencrypt-stag for the staging server, and renders a ClusterIssuer per global email', () => {
    const global = GLOBAL('properties: {letsencrypt-server: staging, letsencrypt-email-stag: stag@example.com, letsencrypt-email-prod: ops@example.com}');
    const result = compileText(app('a', 'image: x:1\ndomains: [a.example.com]'), global);
    expect(find(result, 'Certificate', 'a-web').spec.issuerRef).toEqual({ kind: 'ClusterIssuer', name: 'letsencrypt-stag' });
    expect(names(result, 'ClusterIssuer')).toEqual(['letsencrypt-prod', 'letsencrypt-stag']);
    expect(find(result, 'ClusterIssuer', 'letsencrypt-stag').spec.acme).toMatchObject({
      email: 'stag@example.com',
      server: 'https://acme-staging-v02.api.letsencrypt.org/directory',
      solvers: [{ http01: { ingress: { class: 'nginx' } } }],
    });
  });

  it('leaves TLS off when the selected server has no email', () => {
    const result = compileText(app('a', 'image: x:1\ndomains: [a.example.com]\nproperties: {letsencrypt-server: stag}'), NGINX_TLS);
    expect(names(result, 'Certificate')).toEqual([]);
    expect(find(result, 'Service', 'a-web').spec.ports.map((p: any) => p.name)).toEqual(['http-80-5000']);
  });

  it('renders the app\'s own Issuer <app>-letsencrypt-<server> for an app-level email (scheduler-k3s-certs-deploy-2.bats)', () => {
    const result = compileText(app('a', 'image: x:1\ndomains: [a.example.com]\nproperties: {letsencrypt-server: stag, letsencrypt-email-stag: a@example.com}'), TRAEFIK);
    expect(find(result, 'Certificate', 'a-web').spec.issuerRef).toEqual({ kind: 'Issuer', name: 'a-letsencrypt-stag' });
    const issuer = find(result, 'Issuer', 'a-letsencrypt-stag');
    expect(issuer.metadata).toEqual({
      name: 'a-letsencrypt-stag',
      namespace: 'default',
      labels: { 'app.kubernetes.io/name': 'a-letsencrypt-stag', 'app.kubernetes.io/part-of': 'a', 'app.kubernetes.io/managed-by': 'dokku-gitops' },
      annotations: { 'dokku.com/managed': 'true' },
    });
    expect(issuer.spec).toEqual({
      acme: {
        email: 'a@example.com',
        server: 'https://acme-staging-v02.api.letsencrypt.org/directory',
        privateKeySecretRef: { name: 'a-letsencrypt-stag' },
        solvers: [{ http01: { ingress: { class: 'traefik' } } }],
      },
    });
    // no ClusterIssuer: platform/dokku/ holds only its (empty) kustomization
    expect(result.platform.map((m) => m.path)).toEqual(['platform/dokku/kustomization.yaml']);
  });

  it('puts certificate annotations and labels on the Certificate and secret labels into its secretTemplate', () => {
    const result = compileText(
      app('a', `image: x:1
domains: [a.example.com]
annotations:
  web: {certificate: {c: web}, secret: {s: web}}
labels:
  --global: {certificate: {cl: app}, secret: {backup: "yes"}}`),
      NGINX_TLS,
    );
    const certificate = find(result, 'Certificate', 'a-web');
    expect(certificate.metadata.annotations).toEqual({ 'dokku.com/managed': 'true', c: 'web' });
    expect(certificate.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'a-web', 'app.kubernetes.io/part-of': 'a', 'app.kubernetes.io/managed-by': 'dokku-gitops', cl: 'app' });
    expect(certificate.spec.secretTemplate).toEqual({
      annotations: { 'dokku.com/managed': 'true', s: 'web' },
      labels: { 'app.kubernetes.io/name': 'a-web', 'app.kubernetes.io/part-of': 'a', backup: 'yes' },
    });
  });
});

describe('validity', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'dokku-gitops-routing-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const state = [
    app('a', `image: x:1\ndomains: [a.example.com, "*.a.example.com"]\nports: ["http:80:5000", "https:8443:5000"]`),
    app('b', `image: x:1\ndomains: [b.example.com]\n${CERTS}`),
    app('c', 'image: x:1\ndomains: [c.example.com]\nproperties: {letsencrypt-email-stag: c@example.com, letsencrypt-server: stag}'),
  ];

  it.each([
    ['traefik', TRAEFIK_TLS],
    ['nginx', NGINX_TLS],
  ])('validates every routing object against the model schemas (%s)', async (_, global) => {
    const objects = objectsOf(compileText(...state, global)).filter((o) => !['Deployment', 'ServiceAccount'].includes(o.kind));
    for (const o of objects) expect(await validateObject(o)).toBe(true);
  });

  it('builds the platform folder with kubectl kustomize', () => {
    const compiled = compileText(...state, TRAEFIK_TLS);
    writeFolders(scratch, foldersOf(compiled));
    const out = execFileSync('kubectl', ['kustomize', join(scratch, 'platform/dokku')], { encoding: 'utf8' });
    expect(out).toContain('kind: ClusterIssuer');
  });
});
