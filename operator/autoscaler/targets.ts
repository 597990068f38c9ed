// Which ModelServers the built-in autoscaler scales, and which pods it reads for each: the ready
// replicas, and the ready gateway pods of the PerpetualDeployments in the same namespace that route
// a model to it. Pure: from informer-cache snapshots.
import type { V1Pod } from '@kubernetes/client-node';
import { Labels } from '../api/v1alpha1/labels.ts';
import type { ModelServer } from '../api/v1alpha1/model-server.ts';
import type { PerpetualDeployment } from '../api/v1alpha1/perpetual-deployment.ts';
import { desiredReplicas } from '../api/v1alpha1/model-server-funcs.ts';
import { modelNamesRoutingTo } from '../api/v1alpha1/perpetual-deployment-funcs.ts';
import type { ScalingPolicy } from './decide.ts';
import { isPodReady } from '../kube/pod-essentials.ts';

export interface ScaleTarget {
  modelServer: ModelServer;
  namespace: string;
  name: string;
  policy: ScalingPolicy;
  currentReplicas: number;
  replicaPods: V1Pod[];
  gatewayPods: V1Pod[];
  /** The PerpetualDeployments' models[].name values that route to this ModelServer (the gateway's `model` label). */
  modelNames: ReadonlySet<string>;
}

export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Only `builtin`: with `hpa` or `keda` that object owns the replica count and we keep out of its way. */
export function isBuiltinAutoscaled(ms: ModelServer): boolean {
  return ms.spec.autoscaling?.engine === 'builtin' && !ms.metadata?.deletionTimestamp;
}

function modelNamesFor(deployments: readonly PerpetualDeployment[], msName: string): Map<string, string[]> {
  const byDeployment = new Map<string, string[]>();
  for (const pd of deployments) {
    const names = modelNamesRoutingTo(pd, msName);
    if (names.length > 0) byDeployment.set(pd.metadata?.name ?? '', names);
  }
  return byDeployment;
}

export interface ClusterSnapshot {
  modelServers: readonly ModelServer[];
  pods: readonly V1Pod[];
  deployments: readonly PerpetualDeployment[];
}

function byNamespace<T extends { metadata?: { namespace?: string } }>(items: readonly T[]): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  for (const item of items) {
    const namespace = item.metadata?.namespace ?? '';
    const group = grouped.get(namespace);
    if (group) group.push(item);
    else grouped.set(namespace, [item]);
  }
  return grouped;
}

export function scaleTargets(snapshot: ClusterSnapshot): ScaleTarget[] {
  const readyPodsIn = byNamespace(snapshot.pods.filter(isPodReady));
  const deploymentsIn = byNamespace(snapshot.deployments);
  return snapshot.modelServers.flatMap((ms) => {
    const autoscaling = ms.spec.autoscaling;
    if (!autoscaling || !isBuiltinAutoscaled(ms)) return [];
    const namespace = ms.metadata?.namespace ?? '';
    const name = ms.metadata?.name ?? '';
    const readyPods = readyPodsIn.get(namespace) ?? [];
    const routes = modelNamesFor(deploymentsIn.get(namespace) ?? [], name);
    return [
      {
        modelServer: ms,
        namespace,
        name,
        policy: autoscaling,
        currentReplicas: desiredReplicas(ms.spec),
        replicaPods: readyPods.filter(
          (p) => p.metadata?.labels?.[Labels.modelServer] === name && p.metadata.labels[Labels.component] === 'vllm',
        ),
        gatewayPods: readyPods.filter(
          (p) => routes.has(p.metadata?.labels?.[Labels.perpetualDeployment] ?? '') && p.metadata?.labels?.[Labels.component] === 'gateway',
        ),
        modelNames: new Set([...routes.values()].flat()),
      },
    ];
  });
}
