import type { V1ObjectMeta, V1PodDisruptionBudget } from '@kubernetes/client-node';

/** At most one pod down during voluntary disruptions (drains), whatever the replica count. */
export function buildPodDisruptionBudget(meta: V1ObjectMeta, selector: Record<string, string>): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta,
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
}
