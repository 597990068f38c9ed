import type { V1ObjectMeta, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';

export interface CpuAutoscaling {
  deploymentName: string;
  minReplicas: number;
  maxReplicas: number;
  targetCPUUtilizationPercentage: number;
}

export function buildCpuHorizontalPodAutoscaler(meta: V1ObjectMeta, params: CpuAutoscaling): V2HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta,
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: params.deploymentName },
      minReplicas: params.minReplicas,
      maxReplicas: params.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: params.targetCPUUtilizationPercentage } },
        },
      ],
    },
  };
}

export interface PodsMetricAutoscaling {
  scaleTargetRef: { apiVersion: string; kind: string; name: string };
  minReplicas: number;
  maxReplicas: number;
  /** A per-pod metric served by the custom metrics API (e.g. by a Prometheus adapter). */
  metricName: string;
  /** The average per pod to aim for, as a Kubernetes quantity. */
  averageValue: string;
  scaleDownStabilizationSeconds: number;
}

/** An HPA on a Pods metric, scaling any object with a scale subresource (a ModelServer). */
export function buildPodsMetricHorizontalPodAutoscaler(meta: V1ObjectMeta, params: PodsMetricAutoscaling): V2HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta,
    spec: {
      scaleTargetRef: params.scaleTargetRef,
      minReplicas: params.minReplicas,
      maxReplicas: params.maxReplicas,
      metrics: [
        {
          type: 'Pods',
          pods: { metric: { name: params.metricName }, target: { type: 'AverageValue', averageValue: params.averageValue } },
        },
      ],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0 },
        scaleDown: { stabilizationWindowSeconds: params.scaleDownStabilizationSeconds },
      },
    },
  };
}
