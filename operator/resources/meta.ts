// Metadata every child object carries: a controller owner reference, the standard labels and a
// minimal, never-changing selector (Deployment and StatefulSet selectors are immutable).
import type { KubernetesObject, V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { FIELD_MANAGER, Labels } from '../api/v1alpha1/labels.ts';

/** The owner of a child: a PerpetualDeployment or a ModelServer as read from the cluster. */
export interface Owner {
  apiVersion: string;
  kind: 'PerpetualDeployment' | 'ModelServer';
  name: string;
  namespace: string;
  uid: string;
}

export function ownerOf(obj: KubernetesObject & { kind: Owner['kind'] }): Owner {
  return {
    apiVersion: obj.apiVersion ?? '',
    kind: obj.kind,
    name: obj.metadata?.name ?? '',
    namespace: obj.metadata?.namespace ?? '',
    uid: obj.metadata?.uid ?? '',
  };
}

export function ownerReference(owner: Owner): V1OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true };
}

/** The label naming the owner, e.g. perpetual.ai/perpetualdeployment=<name>. */
export function ownerLabelKey(kind: Owner['kind']): string {
  return kind === 'PerpetualDeployment' ? Labels.perpetualDeployment : Labels.modelServer;
}

/** Labels that select one component's pods. Never add to these: selectors cannot change. */
export function selectorLabels(owner: Owner, component: string): Record<string, string> {
  return { [Labels.instance]: owner.name, [Labels.component]: component, [ownerLabelKey(owner.kind)]: owner.name };
}

export function standardLabels(owner: Owner, component: string): Record<string, string> {
  return {
    ...selectorLabels(owner, component),
    [Labels.name]: 'perpetual',
    [Labels.managedBy]: FIELD_MANAGER,
    [Labels.partOf]: 'perpetual',
  };
}

export function childMeta(owner: Owner, name: string, component: string, extra: Partial<V1ObjectMeta> = {}): V1ObjectMeta {
  return {
    name,
    namespace: owner.namespace,
    ...extra,
    labels: { ...extra.labels, ...standardLabels(owner, component) },
    ownerReferences: [ownerReference(owner)],
  };
}
