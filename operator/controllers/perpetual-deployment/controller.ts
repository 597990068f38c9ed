// What wakes the PerpetualDeployment controller: its own objects, the children it labels with its
// name, the ModelServers its models route to, the pods of its workloads while they are not ready,
// and the user's Secrets it refers to (metadata only), so a rotated key or DSN rolls the gateway
// at once rather than at the next resync.
import type { V1Pod } from '@kubernetes/client-node';
import { Labels } from '../../api/v1alpha1/labels.ts';
import type { Caches } from '../../kube/caches.ts';
import { objectKey, watch, watchMetadata, type ControllerDeclaration } from '../controller.ts';
import { referencedModelServers } from './observe.ts';
import { PERPETUAL_DEPLOYMENT_CHILD_KINDS, reconcilePerpetualDeployment } from './reconciler.ts';
import { referencedSecrets } from './secrets.ts';
import { isPodReady } from '../../kube/pod-essentials.ts';

export const perpetualDeploymentController: ControllerDeclaration = {
  name: 'perpetualdeployment',
  for: 'PerpetualDeployment',
  owns: PERPETUAL_DEPLOYMENT_CHILD_KINDS,
  ownsOptional: [],
  watches: [
    // They report its readiness and it routes to their served names.
    watch('ModelServer', (ms, caches) => usersOfModelServer(caches, ms.metadata?.namespace ?? '', ms.metadata?.name ?? '')),
    // A ready pod tells it nothing its workload's status does not; one that is not ready may be why
    // (a kubelet reason its status names), and becoming ready moves the workload's counts.
    watch('Pod', (pod) => (isPodReady(pod) ? [] : ownerByLabel(pod))),
    // The hash of their values is in the gateway's pod template; the value is read with a GET (kube/secret-reader.ts).
    watchMetadata('Secret', (secret, caches) => usersOfSecret(caches, secret.metadata?.namespace ?? '', secret.metadata?.name ?? '')),
  ],
  reconcile: (ctx, namespace, name) => reconcilePerpetualDeployment(ctx, namespace, name),
};

/** The PerpetualDeployments in `namespace` whose models or embeddings use ModelServer `name`. */
export function usersOfModelServer(caches: Caches, namespace: string, name: string): string[] {
  return caches
    .list('PerpetualDeployment', namespace)
    .filter((pd) => referencedModelServers(pd).includes(name))
    .map(objectKey);
}

/** The PerpetualDeployments in `namespace` whose spec refers to Secret `name` (referencedSecrets). */
export function usersOfSecret(caches: Caches, namespace: string, name: string): string[] {
  return caches
    .list('PerpetualDeployment', namespace)
    .filter((pd) => referencedSecrets(pd).some((ref) => ref.name === name))
    .map(objectKey);
}

function ownerByLabel(pod: V1Pod): string[] {
  const owner = pod.metadata?.labels?.[Labels.perpetualDeployment];
  return owner ? [`${pod.metadata?.namespace ?? ''}/${owner}`] : [];
}
