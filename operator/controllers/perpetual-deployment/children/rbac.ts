// Local mode only: the gateway's own ServiceAccount, allowed exactly what scale-from-zero needs:
// read and patch the scale of the namespace's ModelServers. The gateway only ever patches 0 -> 1,
// guarded by the resourceVersion it read, so it cannot fight the autoscaler.
import type { KubernetesObject } from '@kubernetes/client-node';
import { GROUP } from '../../../api/v1alpha1/group.ts';
import { childMeta, type Owner } from '../../../resources/meta.ts';
import { buildRole, buildRoleBinding } from '../../../resources/role.ts';
import { buildServiceAccount } from '../../../resources/service-account.ts';
import { childNames } from '../names.ts';

export function gatewayIdentity(owner: Owner): KubernetesObject[] {
  const name = childNames(owner.name).gateway;
  return [
    buildServiceAccount(childMeta(owner, name, 'gateway')),
    buildRole(childMeta(owner, name, 'gateway'), [{ apiGroups: [GROUP], resources: ['modelservers/scale'], verbs: ['get', 'patch'] }]),
    buildRoleBinding(childMeta(owner, name, 'gateway'), { role: name, serviceAccount: name }),
  ];
}
