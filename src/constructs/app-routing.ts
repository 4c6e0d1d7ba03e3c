/**
 * The objects that route traffic to an app and give it a certificate: Traefik IngressRoutes
 * and Middlewares or nginx Ingresses, the cert-manager Certificate and per-app Issuer, and
 * the Secret of an imported certificate.
 */
import { createHmac } from 'node:crypto';
import { Construct } from 'constructs';
import type { AppModel, ProcessModel } from '../dokku/app-model.js';
import { type AcmeIssuer, tlsSecretName, traefikHostMatch } from '../dokku/routing.js';
import { HTTP_INTERCEPTOR_PORT, httpScalingOf } from '../dokku/autoscaling.js';
import { Certificate, Issuer } from '../imports/cert-manager.io.js';
import { IngressRoute, IngressRouteSpecRoutesKind, IngressRouteSpecRoutesServicesPort, Middleware } from '../imports/traefik.io.js';
import { k8s } from './_k8s.js';
import { MANAGED, MANAGED_BY, selectorLabels, withUserAnnotations, withUserLabels } from './_metadata.js';
import { secretData } from './_secret-data.js';

/** Props of {@link AppRouting}. */
export interface AppRoutingProps {
  /** The resolved app. */
  readonly model: AppModel;
  /**
   * The host-held HMAC key. The `dokku.com/cert-checksum` label of an imported certificate's
   * Secret is an HMAC of the certificate and key: labels stay in plain text in Git next to
   * the encrypted data, and a plain hash of a private key must not.
   */
  readonly checksumKey: Buffer;
}

/** The `dokku.com/cert-checksum` label value: HMAC-SHA224 (56 hex characters) over the certificate and key. */
export function certChecksum(crt: string, key: string, hmacKey: Buffer): string {
  return createHmac('sha224', hmacKey).update(crt + key).digest('hex');
}

/** The spec of a Let's Encrypt issuer, shared by Issuers and ClusterIssuers. */
export function acmeIssuerSpec(issuer: AcmeIssuer) {
  return {
    acme: {
      email: issuer.email,
      server: issuer.server,
      privateKeySecretRef: { name: issuer.name },
      solvers: [{ http01: { ingress: { class: issuer.ingressClass } } }],
    },
  };
}

/**
 * An app's routing. Construct ids are a contract: `TlsSecret`, `Issuer`, then per routed
 * process `Certificate-<proc>`, `Middleware-<proc>-compression`,
 * `Middleware-<proc>-redirect-to-https`, `IngressRoute-<proc>-<port map>[-websecure]` (Traefik)
 * or `Ingress-<proc>-<domain slug>` (nginx).
 *
 * Only the `web` process has domains, as in Dokku; without domains nothing is routed.
 */
export class AppRouting extends Construct {
  constructor(scope: Construct, id: string, props: AppRoutingProps) {
    super(scope, id);
    const { model } = props;
    const app = model.name;
    const { tls } = model.routing;

    if (tls.importedCert) {
      const name = `tls-${app}`;
      new k8s.KubeSecret(this, 'TlsSecret', {
        metadata: {
          name,
          namespace: model.namespace,
          labels: {
            ...withUserLabels(model, 'secret', { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': app, ...MANAGED_BY }),
            'dokku.com/cert-source': 'imported',
            'dokku.com/cert-checksum': certChecksum(tls.importedCert.crt, tls.importedCert.key, props.checksumKey),
          },
          annotations: withUserAnnotations(model, 'secret', {}),
        },
        type: 'kubernetes.io/tls',
        data: secretData([
          ['tls.crt', tls.importedCert.crt],
          ['tls.key', tls.importedCert.key],
        ]),
      });
    }

    if (tls.appIssuer) {
      new Issuer(this, 'Issuer', {
        metadata: {
          name: tls.appIssuer.name,
          namespace: model.namespace,
          labels: { 'app.kubernetes.io/name': tls.appIssuer.name, 'app.kubernetes.io/part-of': app, ...MANAGED_BY },
          annotations: { ...MANAGED },
        },
        spec: acmeIssuerSpec(tls.appIssuer),
      });
    }

    const web = model.processes.find((p) => p.type === 'web');
    if (!web || !model.routing.domains.length) return;
    this.certificate(model, web);
    if (model.routing.ingressClass === 'traefik') this.traefik(model, web);
    else this.nginx(model, web);
  }

  /** The Certificate `<app>-<proc>` for all domains, when an issuer provides the certificate. */
  private certificate(model: AppModel, process: ProcessModel): void {
    const { tls, domains } = model.routing;
    if (!tls.enabled || !tls.issuerRef) return;
    const app = model.name;
    const base = { 'app.kubernetes.io/name': process.name, 'app.kubernetes.io/part-of': app };
    new Certificate(this, `Certificate-${process.type}`, {
      metadata: {
        name: process.name,
        namespace: model.namespace,
        labels: withUserLabels(model, 'certificate', { ...base, ...MANAGED_BY }, process.type),
        annotations: withUserAnnotations(model, 'certificate', {}, process.type),
      },
      spec: {
        issuerRef: { kind: tls.issuerRef.kind, name: tls.issuerRef.name },
        secretName: tlsSecretName(app, process.type, tls),
        // the Secret cert-manager writes is one of the app's Secrets: it gets their user metadata
        secretTemplate: {
          annotations: withUserAnnotations(model, 'secret', {}, process.type),
          labels: withUserLabels(model, 'secret', base, process.type),
        },
        dnsNames: domains.map((d) => d.name),
      },
    });
  }

  /**
   * Traefik: the Middlewares `<app>-<proc>-compression` and `<app>-<proc>-redirect-to-https`,
   * and an IngressRoute per port map and entrypoint (`web`, plus `websecure` with TLS), one
   * route per domain. An https map is skipped when an `http-80-<same port>` map exists.
   */
  private traefik(model: AppModel, process: ProcessModel): void {
    const { tls, domains, traefikVersion } = model.routing;
    const app = model.name;
    const namespace = model.namespace;
    const middleware = (suffix: string, spec: Record<string, unknown>) =>
      new Middleware(this, `Middleware-${process.type}-${suffix}`, {
        metadata: {
          name: `${process.name}-${suffix}`,
          namespace,
          labels: withUserLabels(model, 'traefik_middleware', { ...selectorLabels(app, `${process.name}-${suffix}`, process.type), ...MANAGED_BY }, process.type),
          annotations: withUserAnnotations(model, 'traefik_middleware', {}, process.type),
        },
        spec,
      });
    const compression = middleware('compression', { compress: {} });
    const redirect = middleware('redirect-to-https', { redirectScheme: { scheme: 'https', permanent: true } });

    const names = new Set(process.portMaps.map((m) => m.name));
    for (const map of process.portMaps) {
      if (map.scheme === 'https' && names.has(`http-80-${map.containerPort}`)) continue;
      for (const entryPoint of tls.enabled ? ['web', 'websecure'] : ['web']) {
        const secure = entryPoint === 'websecure';
        const suffix = `${map.name}${secure ? '-websecure' : ''}`;
        const middlewares = [compression, ...(!secure && tls.enabled ? [redirect] : [])].map((m) => ({ name: m.name, namespace }));
        new IngressRoute(this, `IngressRoute-${process.type}-${suffix}`, {
          metadata: {
            name: `${process.name}-${suffix}`,
            namespace,
            labels: withUserLabels(model, 'traefik_ingressroute', { ...selectorLabels(app, process.name, process.type), ...MANAGED_BY }, process.type),
            annotations: withUserAnnotations(model, 'traefik_ingressroute', {}, process.type),
          },
          spec: {
            entryPoints: [entryPoint],
            routes: domains.map((d) => ({
              kind: IngressRouteSpecRoutesKind.RULE,
              match: traefikHostMatch(d.name, traefikVersion),
              // exact hosts win over wildcards
              ...(d.wildcard ? { priority: 1 } : {}),
              middlewares,
              services: [
                { name: process.name, namespace, passHostHeader: true, port: IngressRouteSpecRoutesServicesPort.fromString(map.name), scheme: 'http' },
              ],
            })),
            ...(secure ? { tls: { secretName: tlsSecretName(app, process.type, tls) } } : {}),
          },
        });
      }
    }
  }

  /**
   * nginx: one Ingress `<app>-<proc>-<domain slug>` per domain, backed by the primary port
   * map, with `force-ssl-redirect` when TLS is on, the nginx properties' annotations, and the
   * user annotations of the `ingress` resource type (Dokku reads them from `deployment`).
   */
  private nginx(model: AppModel, process: ProcessModel): void {
    const { tls, domains } = model.routing;
    const app = model.name;
    const port = process.primaryPort!;
    // a process scaled by the KEDA HTTP add-on is reached through its interceptor, as in Dokku
    const http = httpScalingOf(model.scaling, process.type);
    const path: k8s.HttpIngressPath = http
      ? { path: '/', pathType: 'Prefix', backend: { service: { name: http.interceptorService, port: { number: HTTP_INTERCEPTOR_PORT } } } }
      : { path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: process.name, port: { name: port.name } } } };
    for (const d of domains) {
      new k8s.KubeIngress(this, `Ingress-${process.type}-${d.slug}`, {
        metadata: {
          name: `${process.name}-${d.slug}`,
          namespace: model.namespace,
          labels: withUserLabels(model, 'ingress', { ...selectorLabels(app, process.name, process.type), ...MANAGED_BY }, process.type),
          annotations: withUserAnnotations(
            model,
            'ingress',
            {
              'dokku.com/ingress-method': 'domains',
              ...(tls.enabled ? { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' } : {}),
              ...model.routing.nginxAnnotations,
            },
            process.type,
          ),
        },
        spec: {
          ingressClassName: 'nginx',
          ...(tls.enabled ? { tls: [{ hosts: [d.name], secretName: tlsSecretName(app, process.type, tls) }] } : {}),
          rules: [
            {
              host: d.name,
              http: {
                paths: [path],
              },
            },
          ],
        },
      });
    }
  }
}
