// What the cache keeps of a Pod: the fields the operator reads, nothing else. A vLLM or gateway
// pod is several KB of JSON (volumes, env, probes, resources, statuses of every container), the
// operator watches all of its own, and it reads only:
//   - labels and deletionTimestamp (which ModelServer or gateway, and whether it is going away);
//   - spec.nodeName and the PodScheduled condition (InsufficientGPU, model-server/observe.ts);
//   - the Ready condition, status.podIP and the container port named http (the autoscaler).
// Reading another field of a cached Pod means keeping it here first (pod-essentials.test.ts runs
// every reader on a full pod and on what is kept).
import type { V1Pod } from '@kubernetes/client-node';

/** Reduces `pod`, in place, to what the operator reads. */
export function keepPodEssentials(pod: V1Pod): void {
  const { spec, status } = pod;
  pod.spec = {
    nodeName: spec?.nodeName,
    containers: (spec?.containers ?? []).map((c) => ({ name: c.name, ports: c.ports?.filter((p) => p.name).map((p) => ({ name: p.name, containerPort: p.containerPort })) })),
  };
  pod.status = { phase: status?.phase, podIP: status?.podIP, conditions: status?.conditions };
}
