import type { V1ObjectMeta, V1ServiceAccount } from '@kubernetes/client-node';

export function buildServiceAccount(meta: V1ObjectMeta): V1ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta };
}
