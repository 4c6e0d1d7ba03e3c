/**
 * The global `autoscalingAuth` (`autoscaling-auth:set --global`): per trigger type, the Secret
 * `ckta-<type>` in KEDA's namespace and the ClusterTriggerAuthentication `<type>` that every
 * app's triggers of that type use when the app has no TriggerAuthentication of its own
 * (`P/functions.go` `applyKedaClusterTriggerAuthentications`).
 */
import { Construct } from 'constructs';
import { type ClusterTriggerAuthModel, KEDA_NAMESPACE } from '../dokku/autoscaling.js';
import { ClusterTriggerAuthentication } from '../imports/keda.sh.js';
import { k8s } from './_k8s.js';
import { MANAGED, MANAGED_BY } from './_metadata.js';
import { secretData } from './_secret-data.js';

/** Props of {@link ClusterTriggerAuthentications}. */
export interface ClusterTriggerAuthenticationsProps {
  /** The resolved global authentications (see `GlobalModel.scaling`). */
  readonly authentications: readonly ClusterTriggerAuthModel[];
}

/**
 * One Secret and one ClusterTriggerAuthentication per trigger type. Construct ids:
 * `Secret-<type>`, `ClusterTriggerAuthentication-<type>`.
 */
export class ClusterTriggerAuthentications extends Construct {
  constructor(scope: Construct, id: string, props: ClusterTriggerAuthenticationsProps) {
    super(scope, id);
    for (const auth of props.authentications) {
      const labels = { 'app.kubernetes.io/instance': auth.type, 'app.kubernetes.io/name': auth.type, 'app.kubernetes.io/part-of': 'cluster', ...MANAGED_BY };
      new k8s.KubeSecret(this, `Secret-${auth.type}`, {
        metadata: { name: auth.secretName, namespace: KEDA_NAMESPACE, labels, annotations: { ...MANAGED } },
        type: 'Opaque',
        data: secretData(auth.parameters),
      });
      new ClusterTriggerAuthentication(this, `ClusterTriggerAuthentication-${auth.type}`, {
        metadata: { name: auth.name, labels, annotations: { ...MANAGED } },
        spec: { secretTargetRef: auth.parameters.map(([key]) => ({ key, name: auth.secretName, parameter: key })) },
      });
    }
  }
}
