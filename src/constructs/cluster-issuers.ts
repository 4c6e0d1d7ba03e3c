/**
 * The shared Let's Encrypt ClusterIssuers, cluster-wide objects of the platform chart.
 */
import { Construct } from 'constructs';
import type { GlobalModel } from '../dokku/app-model.js';
import { clusterIssuers } from '../dokku/routing.js';
import { ClusterIssuer } from '../imports/cert-manager.io.js';
import { MANAGED, MANAGED_BY } from './_metadata.js';
import { acmeIssuerSpec } from './app-routing.js';

/** Props of {@link ClusterIssuers}. */
export interface ClusterIssuersProps {
  /** The resolved Global document. */
  readonly global: GlobalModel;
}

/**
 * `letsencrypt-prod` and `letsencrypt-stag`, each when its global email is set, with the ACME
 * production or staging directory and an http01 solver for the global ingress class. Apps
 * refer to them unless they set their own email (then they get their own Issuer). Construct
 * ids are the object names.
 */
export class ClusterIssuers extends Construct {
  constructor(scope: Construct, id: string, props: ClusterIssuersProps) {
    super(scope, id);
    for (const issuer of clusterIssuers(props.global.properties)) {
      new ClusterIssuer(this, issuer.name, {
        metadata: {
          name: issuer.name,
          labels: { 'app.kubernetes.io/name': issuer.name, ...MANAGED_BY },
          annotations: { ...MANAGED },
        },
        spec: acmeIssuerSpec(issuer),
      });
    }
  }
}
