// What the cluster says about a ModelServer's children, read from the informer caches.
import type { V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import { Labels } from '../../api/v1alpha1/labels.ts';
import type { ScalingVerdict } from '../../scaling-verdicts.ts';
import type { Caches } from '../../kube/caches.ts';
import { modelNamesRoutingTo } from '../../api/v1alpha1/perpetual-deployment-funcs.ts';
import { modelServerChildNames } from './names.ts';

export interface ModelServerObserved {
  deployment: V1Deployment | undefined;
  pods: V1Pod[];
  /** The built-in autoscaler's latest verdict (limits, scales made), for `engine: builtin`. */
  verdict?: ScalingVerdict;
  /** Whether the cluster serves KEDA's ScaledObject API, for `engine: keda`. */
  kedaInstalled?: boolean;
  /** Whether the cluster serves the InferencePool API, for spec.inferencePool. */
  inferencePoolServed?: boolean;
  /** Whether the cluster runs image volumes, for an oci:// source. */
  imageVolumes?: boolean;
  /** The preload Job for the current model and revision, with cache.preload. */
  preloadJob?: V1Job;
}

export function observeModelServer(
  caches: Caches,
  ms: ModelServer,
  autoscaling: Pick<ModelServerObserved, 'verdict' | 'kedaInstalled' | 'inferencePoolServed' | 'imageVolumes' | 'preloadJob'> = {},
): ModelServerObserved {
  const name = ms.metadata?.name ?? '';
  const namespace = ms.metadata?.namespace ?? '';
  return {
    deployment: caches.get('Deployment', modelServerChildNames(name).workload, namespace),
    pods: caches.list('Pod', namespace).filter((p) => p.metadata?.labels?.[Labels.modelServer] === name),
    ...autoscaling,
  };
}

/** models[].name of every PerpetualDeployment in the namespace that routes to this ModelServer. */
export function gatewayModelNames(caches: Caches, ms: ModelServer): string[] {
  const name = ms.metadata?.name ?? '';
  return caches
    .list('PerpetualDeployment', ms.metadata?.namespace ?? '')
    .flatMap((pd) => modelNamesRoutingTo(pd, name))
    .sort();
}

/** The scheduler's message for a pod it cannot place, if it says the GPUs ran out. */
export function insufficientGpuMessage(pod: V1Pod, resourceName: string): string | undefined {
  if (pod.spec?.nodeName) return undefined;
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return undefined;
  return scheduled.message?.includes(`Insufficient ${resourceName}`) ? scheduled.message : undefined;
}
