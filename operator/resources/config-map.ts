import type { V1ConfigMap, V1ObjectMeta } from '@kubernetes/client-node';

export function buildConfigMap(meta: V1ObjectMeta, data: Record<string, string>): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data };
}
