import type { V1ObjectMeta, V1PersistentVolumeClaim } from '@kubernetes/client-node';

export interface ClaimParams {
  size: string;
  accessMode: string;
  storageClassName?: string;
}

export function buildPersistentVolumeClaim(meta: V1ObjectMeta, params: ClaimParams): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta,
    spec: {
      accessModes: [params.accessMode],
      resources: { requests: { storage: params.size } },
      ...(params.storageClassName ? { storageClassName: params.storageClassName } : {}),
    },
  };
}
