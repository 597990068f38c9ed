// What wakes the ModelServer controller: its own objects, the children it labels with its name
// (KEDA's ScaledObject once the cluster serves it), its vLLM pods, and, for a KEDA ModelServer, the
// PerpetualDeployments whose model names its ScaledObject queries the gateway under.
import { Labels } from '../../api/v1alpha1/labels.ts';
import type { Caches } from '../../kube/caches.ts';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
import { watch, type ControllerDeclaration } from '../controller.ts';
import { referencedModelServers } from '../perpetual-deployment/observe.ts';
import { MODEL_SERVER_CHILD_KINDS, MODEL_SERVER_OPTIONAL_CHILD_KINDS, reconcileModelServer } from './reconciler.ts';

export const modelServerController: ControllerDeclaration = {
  name: 'modelserver',
  for: 'ModelServer',
  owns: MODEL_SERVER_CHILD_KINDS,
  ownsOptional: MODEL_SERVER_OPTIONAL_CHILD_KINDS,
  watches: [
    // Nothing else of a ModelServer depends on PerpetualDeployments (whose every status write lands here).
    watch('PerpetualDeployment', (pd, caches) => kedaModelServersOf(caches, pd)),
    watch('Pod', (pod) => {
      const owner = pod.metadata?.labels?.[Labels.modelServer];
      return owner ? [`${pod.metadata?.namespace ?? ''}/${owner}`] : [];
    }),
  ],
  reconcile: (ctx, namespace, name, { autoscaling }) => reconcileModelServer(ctx, namespace, name, autoscaling),
};

/** The KEDA-scaled ModelServers `pd` routes to. */
export function kedaModelServersOf(caches: Caches, pd: PerpetualDeployment): string[] {
  const namespace = pd.metadata?.namespace ?? '';
  return referencedModelServers(pd)
    .filter((name) => caches.get('ModelServer', name, namespace)?.spec.autoscaling?.engine === 'keda')
    .map((name) => `${namespace}/${name}`);
}
