import type { V1ObjectMeta, V1PersistentVolumeClaim, V1PodTemplateSpec, V1StatefulSet } from '@kubernetes/client-node';

export interface StatefulSetParams {
  selector: Record<string, string>;
  serviceName: string;
  replicas: number;
  template: V1PodTemplateSpec;
  volumeClaimTemplates: V1PersistentVolumeClaim[];
  /** What happens to the claims when the StatefulSet is deleted or scaled down. */
  claimRetention: { whenDeleted: 'Retain' | 'Delete'; whenScaled: 'Retain' | 'Delete' };
}

export function buildStatefulSet(meta: V1ObjectMeta, params: StatefulSetParams): V1StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta,
    spec: {
      replicas: params.replicas,
      serviceName: params.serviceName,
      selector: { matchLabels: params.selector },
      // Replicas join a Qdrant cluster independently; there is no reason to start them one by one.
      podManagementPolicy: 'Parallel',
      template: params.template,
      volumeClaimTemplates: params.volumeClaimTemplates,
      persistentVolumeClaimRetentionPolicy: params.claimRetention,
    },
  };
}
