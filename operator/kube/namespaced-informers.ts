// The informers of one kind in several namespaces (WATCH_NAMESPACES), behind the face of one: the
// caches, the controllers and the optional kinds never know whether the operator watches every
// namespace or a few. One list and one watch per namespace is what Roles allow; a cluster-wide
// watch would need a ClusterRole.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KindInformer } from './informer.ts';
import type { ResourceKind } from './resource-kinds.ts';

export class NamespacedInformers<T extends KubernetesObject = KubernetesObject> implements KindInformer<T> {
  readonly resource: ResourceKind;
  readonly synced: Promise<void>;
  private readonly byNamespace: ReadonlyMap<string, KindInformer<T>>;

  /** `byNamespace`: one informer per watched namespace, each watching only that namespace. */
  constructor(resource: ResourceKind, byNamespace: ReadonlyMap<string, KindInformer<T>>) {
    this.resource = resource;
    this.byNamespace = byNamespace;
    this.synced = Promise.all([...byNamespace.values()].map((i) => i.synced)).then(() => undefined);
  }

  onChange(handler: (obj: T) => void): void {
    for (const informer of this.byNamespace.values()) informer.onChange(handler);
  }

  async start(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.stop()));
  }

  /** Nothing in a namespace that is not watched: the operator does not see it. */
  get(name: string, namespace?: string): T | undefined {
    if (namespace !== undefined) return this.byNamespace.get(namespace)?.get(name, namespace);
    for (const informer of this.byNamespace.values()) {
      const found = informer.get(name);
      if (found) return found;
    }
    return undefined;
  }

  list(namespace?: string): readonly T[] {
    if (namespace !== undefined) return this.byNamespace.get(namespace)?.list(namespace) ?? [];
    return [...this.byNamespace.values()].flatMap((i) => i.list());
  }

  /** Owner references never cross namespaces, but a uid does not say which namespace: each is asked. */
  listControlledBy(uid: string): readonly T[] {
    return [...this.byNamespace.values()].flatMap((i) => i.listControlledBy(uid));
  }
}
