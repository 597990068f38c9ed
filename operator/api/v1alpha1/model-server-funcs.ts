// What a ModelServer's spec means, read the same way by its reconciler and by the autoscaler.
import type { ModelServerSpec } from './model-server.ts';

/**
 * Replicas the Deployment should have now. The autoscaler (and `kubectl scale`, HPA, KEDA) write
 * spec.replicas through the scale subresource; without it we start at the autoscaling minimum.
 */
export function desiredReplicas(spec: Pick<ModelServerSpec, 'replicas' | 'autoscaling'>): number {
  return spec.replicas ?? spec.autoscaling?.minReplicas ?? 1;
}
