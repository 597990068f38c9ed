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
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: params.targetCPUUtilizationPercentage } } },
      ],
    },
  };
}
