import type { V1ObjectMeta, V1PolicyRule, V1Role, V1RoleBinding } from '@kubernetes/client-node';

export function buildRole(meta: V1ObjectMeta, rules: V1PolicyRule[]): V1Role {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta, rules };
}

/** Binds a Role of the same name to one ServiceAccount of the same namespace. */
export function buildRoleBinding(meta: V1ObjectMeta, params: { role: string; serviceAccount: string }): V1RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: params.role },
    subjects: [{ kind: 'ServiceAccount', name: params.serviceAccount, namespace: meta.namespace ?? '' }],
  };
}
