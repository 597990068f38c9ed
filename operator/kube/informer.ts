// A list+watch cache of one kind, cluster-wide or in one namespace, built on client-node's
// informer, that survives what the library gives up on: it restarts with backoff after any error
// (API server restarts, network failures), resuming from the last resourceVersion and relisting
// on 410 Gone. kube/namespaced-informers.ts puts one per watched namespace behind the same face.
import {
  ListWatch,
  makeInformer,
  type Informer,
  type KubernetesListObject,
  type KubernetesObject,
  type KubernetesObjectApi,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { APPLIED_HASH_ANNOTATION } from './drift.ts';
import { keepIdentityOnly, listMetadata, metadataWatch } from './metadata-informer.ts';
import { OwnerIndex } from './owner-index.ts';
import { StringInterner } from './string-interner.ts';
import { collectionPath, type ResourceKind } from './resource-kinds.ts';
import { errorMessage } from '../utils.ts';

const MIN_RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;

/** What the caches, the manager and the optional kinds use of an informer, whether it watches one namespace, several or all. */
export interface KindInformer<T extends KubernetesObject = KubernetesObject> {
  readonly resource: ResourceKind;
  /** Resolves once the first full list is in the cache. */
  readonly synced: Promise<void>;
  onChange(handler: (obj: T) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
  listControlledBy(uid: string): readonly T[];
}

export interface InformerOptions<T extends KubernetesObject = KubernetesObject> {
  log: Logger;
  /** Lists and watches only this namespace (undefined: every namespace). */
  namespace?: string;
  labelSelector?: string;
  /** Called for every full list: once at start, then after each 410 Gone (the watch fell behind). */
  onList?: () => void;
  /** Reduces each object, in place, to what the operator reads of it (e.g. kube/pod-essentials.ts). */
  keep?: (obj: T) => void;
  /**
   * List and watch metadata only, and keep only each object's identity (kube/metadata-informer.ts):
   * for kinds whose values must never be in memory (Secrets). `keep` is then not used.
   */
  metadataOnly?: boolean;
}

export class ResourceInformer<T extends KubernetesObject = KubernetesObject> implements KindInformer<T> {
  private readonly informer: Informer<T> & ObjectCache<T>;
  private stopped = false;
  private restartDelayMs = MIN_RESTART_DELAY_MS;
  private errorsSeen = 0;
  private resolveSynced: () => void = () => undefined;
  private readonly owners = new OwnerIndex();
  /** Resolves once the first full list is in the cache. */
  readonly synced: Promise<void>;

  readonly resource: ResourceKind;
  private readonly namespace: string | undefined;
  private readonly log: Logger;

  constructor(kc: KubeConfig, objects: KubernetesObjectApi, resource: ResourceKind, options: InformerOptions<T>) {
    const { namespace, labelSelector, metadataOnly = false } = options;
    this.resource = resource;
    this.namespace = namespace;
    this.log = options.log;
    const keep = metadataOnly ? keepIdentityOnly : options.keep;
    const reduce = (obj: T): void => {
      keep?.(obj);
      compact(obj);
    };
    const fetchList = metadataOnly
      ? () => listMetadata(kc, resource, labelSelector, namespace) as Promise<KubernetesListObject<T>>
      : () => objects.list<T>(resource.apiVersion, resource.kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
    // Every list either path reads passes here. An empty list can come back as `items: null` (Go
    // marshals a nil slice so; a PartialObjectMetadataList of a kind with no object at all does),
    // and client-node's ListWatch iterates `items` too: a null there fails every list, so the
    // informer never syncs (on a cluster with no Secret, no reconcile ever ran).
    const list = async (): Promise<KubernetesListObject<T>> => {
      options.onList?.();
      const result = await fetchList();
      const items = (result.items as T[] | null | undefined) ?? [];
      items.forEach(reduce);
      return { ...result, items };
    };
    const path = collectionPath(resource, namespace);
    this.informer = metadataOnly
      ? new ListWatch<T>(path, metadataWatch(kc), list, false, labelSelector)
      : makeInformer<T>(kc, path, list, labelSelector);
    // Registered first, so it runs before any other handler sees the object. The cache holds this
    // same object, so the cache keeps it reduced too.
    this.informer.on('add', reduce);
    this.informer.on('update', reduce);
    // A deletion's object is the watch event's, never the cached one: reduced too, before handlers see it.
    if (metadataOnly) this.informer.on('delete', keepIdentityOnly);
    this.informer.on('add', (obj) => {
      this.owners.set(obj);
    });
    this.informer.on('update', (obj) => {
      this.owners.set(obj);
    });
    this.informer.on('delete', (obj) => {
      this.owners.delete(obj);
    });
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
    this.informer.on('error', (err: unknown) => {
      this.errorsSeen++;
      this.scheduleRestart(err);
    });
  }

  /** Calls `handler` for every add, update and delete (with the object's last state on delete). */
  onChange(handler: (obj: T) => void): void {
    this.informer.on('change', handler);
  }

  async start(): Promise<void> {
    const errorsBefore = this.errorsSeen;
    await this.informer.start();
    // client-node resolves start() even when the list failed (it reported the error instead).
    if (this.errorsSeen === errorsBefore) {
      this.restartDelayMs = MIN_RESTART_DELAY_MS;
      this.resolveSynced();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  /** The cached objects whose controller owner reference has `uid`. */
  listControlledBy(uid: string): readonly T[] {
    return this.owners.owned(uid).flatMap(({ namespace, name }) => this.informer.get(name, namespace) ?? []);
  }

  private scheduleRestart(err: unknown): void {
    if (this.stopped) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    this.log.warn(
      { kind: this.resource.kind, namespace: this.namespace, err: errorMessage(err), retryInMs: delay },
      'Watch failed; restarting',
    );
    setTimeout(() => {
      if (!this.stopped)
        this.start().catch((e: unknown) => {
          this.scheduleRestart(e);
        });
    }, delay).unref();
  }
}

/**
 * One table for every kind: the same strings recur across kinds (labels, names, images). Not
 * worth a table entry: what every object or every write makes new (uid, resourceVersion, the
 * hash of what we applied, cluster IPs) and Secret and ConfigMap values.
 */
const sharedStrings = new StringInterner({
  uniqueFields: ['uid', 'resourceVersion', APPLIED_HASH_ANNOTATION, 'clusterIP', 'clusterIPs', 'data', 'binaryData'],
});

/**
 * What the cache keeps of an object. Server-side apply records every manager's fields on every
 * object; nothing here reads them and they can be most of an object's size (controller-runtime
 * strips them from caches for the same reason). `metadata` is replaced, not edited: `delete` would
 * switch V8 to a hash-table layout for it, about 600 bytes more for every cached object. Repeated
 * strings are shared.
 */
function compact(obj: KubernetesObject): void {
  if (obj.metadata?.managedFields) {
    obj.metadata = Object.fromEntries(Object.entries(obj.metadata).filter(([field]) => field !== 'managedFields'));
  }
  sharedStrings.internAll(obj);
}
