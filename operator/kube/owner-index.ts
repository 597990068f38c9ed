// Which objects each controller owns, by the owner's UID: pruning looks up one owner's children
// instead of scanning every object of the namespace on every reconcile (quadratic at 1000 owners;
// controller-runtime's field indexers exist for the same reason).
import type { KubernetesObject } from '@kubernetes/client-node';

export class OwnerIndex {
  private readonly keysByOwner = new Map<string, Set<string>>();
  private readonly ownerByKey = new Map<string, string>();

  /** Records `obj` under its controller owner reference (or under none). */
  set(obj: KubernetesObject): void {
    const key = objectKey(obj);
    const owner = obj.metadata?.ownerReferences?.find((ref) => ref.controller)?.uid;
    if (this.ownerByKey.get(key) === owner) return;
    this.delete(obj);
    if (!owner) return;
    this.ownerByKey.set(key, owner);
    let keys = this.keysByOwner.get(owner);
    if (!keys) this.keysByOwner.set(owner, (keys = new Set()));
    keys.add(key);
  }

  delete(obj: KubernetesObject): void {
    const key = objectKey(obj);
    const owner = this.ownerByKey.get(key);
    if (owner === undefined) return;
    this.ownerByKey.delete(key);
    const keys = this.keysByOwner.get(owner);
    keys?.delete(key);
    if (keys?.size === 0) this.keysByOwner.delete(owner);
  }

  /** The namespace and name of every object `ownerUid` controls. */
  owned(ownerUid: string): { namespace: string; name: string }[] {
    return [...(this.keysByOwner.get(ownerUid) ?? [])].map((key) => {
      const [namespace = '', name = ''] = key.split('/');
      return { namespace, name };
    });
  }
}

function objectKey(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}
