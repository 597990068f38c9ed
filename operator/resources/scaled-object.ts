// A KEDA ScaledObject (keda.sh/v1alpha1) with Prometheus triggers. KEDA is optional: the operator
// applies one only where KEDA's API is served.
import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';

export const SCALED_OBJECT_API_VERSION = 'keda.sh/v1alpha1';

export interface PrometheusTrigger {
  name: string;
  serverAddress: string;
  /** Must return one value: KEDA divides it by the threshold to get replicas. */
  query: string;
  threshold: string;
  /** Above this KEDA activates the target from zero. */
  activationThreshold?: string;
}

export interface ScaledObjectParams {
  scaleTargetRef: { apiVersion: string; kind: string; name: string };
  minReplicaCount: number;
  maxReplicaCount: number;
  pollingIntervalSeconds: number;
  /** How long after the last activity KEDA scales to zero. */
  cooldownPeriodSeconds: number;
  scaleDownStabilizationSeconds: number;
  triggers: PrometheusTrigger[];
}

export interface ScaledObject extends KubernetesObject {
  spec?: {
    scaleTargetRef: ScaledObjectParams['scaleTargetRef'];
    minReplicaCount: number;
    maxReplicaCount: number;
    pollingInterval: number;
    cooldownPeriod: number;
    advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: number } } } };
    triggers: { type: 'prometheus'; name: string; metadata: Record<string, string> }[];
  };
}

export function buildScaledObject(meta: V1ObjectMeta, params: ScaledObjectParams): ScaledObject {
  return {
    apiVersion: SCALED_OBJECT_API_VERSION,
    kind: 'ScaledObject',
    metadata: meta,
    spec: {
      scaleTargetRef: params.scaleTargetRef,
      minReplicaCount: params.minReplicaCount,
      maxReplicaCount: params.maxReplicaCount,
      pollingInterval: params.pollingIntervalSeconds,
      cooldownPeriod: params.cooldownPeriodSeconds,
      advanced: {
        horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: params.scaleDownStabilizationSeconds } } },
      },
      triggers: params.triggers.map((t) => ({
        type: 'prometheus',
        name: t.name,
        metadata: {
          serverAddress: t.serverAddress,
          query: t.query,
          threshold: t.threshold,
          ...(t.activationThreshold === undefined ? {} : { activationThreshold: t.activationThreshold }),
        },
      })),
    },
  };
}
