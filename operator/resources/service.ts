import type { V1ObjectMeta, V1Service, V1ServicePort } from '@kubernetes/client-node';

export interface ServiceParams {
  selector: Record<string, string>;
  ports: V1ServicePort[];
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** Headless: DNS names per pod (StatefulSet peers), no virtual IP. */
  headless?: boolean;
}

export function buildService(meta: V1ObjectMeta, params: ServiceParams): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: {
      type: params.type ?? 'ClusterIP',
      ...(params.headless ? { clusterIP: 'None', publishNotReadyAddresses: true } : {}),
      selector: params.selector,
      ports: params.ports,
    },
  };
}
