import type { V1Deployment, V1DeploymentStrategy, V1ObjectMeta, V1PodTemplateSpec } from '@kubernetes/client-node';

export interface DeploymentParams {
  selector: Record<string, string>;
  template: V1PodTemplateSpec;
  /** Omitted when an autoscaler owns the replica count, so the operator never fights it. */
  replicas?: number;
  strategy?: V1DeploymentStrategy;
}

export function buildDeployment(meta: V1ObjectMeta, params: DeploymentParams): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      ...(params.replicas === undefined ? {} : { replicas: params.replicas }),
      selector: { matchLabels: params.selector },
      ...(params.strategy ? { strategy: params.strategy } : {}),
      template: params.template,
    },
  };
}
