// The memory store over Qdrant's REST API (@qdrant/js-client-rest). See memory-store.ts for the
// contract, tenant-filter.ts for the isolation rule (account, then end user), collection-name.ts for why one collection
// per embedding space, and qdrant-call.ts for how timeouts and AbortSignals reach the socket.
//
// A collection that disappears while the gateway runs (a Qdrant volume lost or replaced, someone
// deleting it) is created again by the first point operation that finds it missing, which then
// runs once more: memory comes back by itself instead of staying off until a restart. What was
// in the old collection is gone; `onCollectionRecreated` lets the caller say so in its logs.
//
// Deletes that report what they removed count first and then delete by the same filter. Two
// concurrent deletes of one point may both report true, and a write landing between the count
// and the delete of a whole conversation is deleted without being counted; neither matters for
// a receipt, and Qdrant has no delete that returns what it removed.
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { collectionName } from './collection-name.ts';
import { ensureCollection } from './ensure-collection.ts';
import { checkVector, parsePayload, preparePoint, type NewMemory, type PreparedPoint } from './memory-payload.ts';
import { invalidArgument, MemoryStoreError } from './memory-store-error.ts';
import type { CountOptions, MemoryHit, MemoryPage, MemoryRecord, MemoryStore, ScrollOptions, SearchOptions } from './memory-store.ts';
import { canonicalPointId } from './point-id.ts';
import { runCall, type CallContext, type CallOptions, type Work } from './qdrant-call.ts';
import { scopeFilter, scopeOf, tenantFilter, type MemoryScope, type QdrantFilter, type ScopeRef } from './tenant-filter.ts';

export interface QdrantMemoryStoreOptions {
  /** e.g. http://qdrant:6333 (a path, for Qdrant behind a proxy, is kept as the prefix). */
  url: string;
  apiKey?: string;
  /** The configured collection name (QDRANT_COLLECTION); the embedding space is appended. */
  baseCollection: string;
  embedder: { id: string; dimension: number };
  /** Per call, unless the call says otherwise. Default 5000 ms. */
  timeoutMs?: number;
  /** Keep-alive connections to Qdrant. Default 25 (the client's). */
  maxConnections?: number;
  /** Called after a point operation found the collection missing and it was created again. */
  onCollectionRecreated?: (collection: string) => void;
}

const DEFAULT_TIMEOUT_MS = 5000;
const MAX_SEARCH_LIMIT = 100;
const MAX_SCROLL_LIMIT = 1000;
/** Points per upsert request: a long turn split into many chunks still makes modest requests. */
const UPSERT_BATCH = 128;

type Api = ReturnType<QdrantClient['api']>;
type PointId = Schemas['ExtendedPointId'];

function checkLimit(limit: number, max: number, operation: string): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw invalidArgument(operation, `${operation}: limit must be an integer from 1 to ${max}, got ${limit}.`);
  return limit;
}

/** Qdrant's own `timeout` (whole seconds) makes it stop working on a read we have given up on. */
function serverTimeout(options: CallOptions | undefined, fallbackMs: number): number {
  return Math.max(1, Math.ceil((options?.timeoutMs ?? fallbackMs) / 1000));
}

function record(id: PointId, rawPayload: unknown, scope: MemoryScope): MemoryRecord | undefined {
  const canonical = canonicalPointId(id);
  const payload = parsePayload(rawPayload);
  // Defence in depth: the filter already restricts to the scope; a point that still is not theirs
  // (a Qdrant bug, a foreign writer) is dropped rather than shown to the wrong person.
  if (canonical === undefined || payload === undefined || payload.user_id !== scope.userId || payload.end_user !== scope.endUser) return undefined;
  return { id: canonical, payload };
}

function toQdrantPoint(point: PreparedPoint): Schemas['PointStruct'] {
  return { id: point.id, vector: point.vector, payload: { ...point.payload } };
}

export class QdrantMemoryStore implements MemoryStore {
  readonly collection: string;
  readonly dimension: number;
  readonly #embedderId: string;
  readonly #api: Api;
  readonly #context: CallContext;
  readonly #onCollectionRecreated: (collection: string) => void;
  /** The one re-creation in flight, shared by every operation that found the collection missing. */
  #recreating: Promise<void> | undefined;

  constructor(options: QdrantMemoryStoreOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new RangeError('Qdrant URL is not a valid URL (expected e.g. http://qdrant:6333).');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`Qdrant URL must start with http:// or https:// (the scheme given is "${url.protocol}").`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`Qdrant timeout must be a positive number of milliseconds, got ${timeoutMs}.`);
    this.collection = collectionName(options.baseCollection, options.embedder.id, options.embedder.dimension);
    this.dimension = options.embedder.dimension;
    this.#embedderId = options.embedder.id;
    const prefix = url.pathname.replace(/\/+$/, '');
    const client = new QdrantClient({
      url: url.origin,
      ...(prefix ? { prefix } : {}),
      // The key goes in as a plain header rather than `apiKey`: with `apiKey` the client
      // console.warns on every start over http, which is normal for an in-cluster Qdrant.
      headers: options.apiKey ? { 'api-key': options.apiKey } : {},
      // Infinity leaves the client's timeout middleware out, so our signal reaches fetch (qdrant-call.ts).
      timeout: Infinity,
      checkCompatibility: false,
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    });
    this.#api = client.api();
    this.#context = { collection: this.collection, origin: url.origin, timeoutMs, secrets: options.apiKey ? [options.apiKey] : [] };
    this.#onCollectionRecreated = options.onCollectionRecreated ?? (() => undefined);
  }

  #run<T>(operation: string, options: CallOptions | undefined, work: Work<T>): Promise<T> {
    return runCall(this.#context, operation, options, work);
  }

  /** #run for operations on the collection's points: a missing collection is created again and the operation retried once. */
  async #runOnPoints<T>(operation: string, options: CallOptions | undefined, work: Work<T>): Promise<T> {
    try {
      return await this.#run(operation, options, work);
    } catch (err) {
      if (!(err instanceof MemoryStoreError) || err.code !== 'not_found') throw err;
      await this.#recreateCollection(options);
      return this.#run(operation, options, work);
    }
  }

  #recreateCollection(options: CallOptions | undefined): Promise<void> {
    this.#recreating ??= this.ensureCollection(options)
      .then(() => { this.#onCollectionRecreated(this.collection); })
      .finally(() => { this.#recreating = undefined; });
    return this.#recreating;
  }

  async ensureCollection(options?: CallOptions): Promise<void> {
    await ensureCollection(this.#api, (operation, opts, work) => this.#run(operation, opts, work), { collection: this.collection, embedderId: this.#embedderId, dimension: this.dimension }, options);
  }

  async health(options?: CallOptions): Promise<void> {
    const collection_name = this.collection;
    const exists = await this.#run('health', options, async (init) => (await this.#api.collectionExists({ collection_name }, init)).data.result?.exists === true);
    if (!exists) throw new MemoryStoreError(`Qdrant is up but collection "${collection_name}" does not exist; the next memory operation creates it again (memories it held are gone).`, { code: 'not_found', operation: 'health' });
  }

  async upsert(memories: readonly NewMemory[], options?: CallOptions): Promise<string[]> {
    // Validate everything before writing anything, so a bad item cannot leave half a turn stored.
    const points = memories.map((memory) => preparePoint(memory, this.dimension));
    for (let start = 0; start < points.length; start += UPSERT_BATCH) {
      const batch = points.slice(start, start + UPSERT_BATCH).map(toQdrantPoint);
      await this.#runOnPoints('upsert', options, (init) => this.#api.upsertPoints({ collection_name: this.collection, wait: true, points: batch }, init));
    }
    return points.map((point) => point.id);
  }

  async search(ref: ScopeRef, vector: Float32Array | readonly number[], options: SearchOptions): Promise<MemoryHit[]> {
    const operation = 'search';
    const scope = scopeOf(ref);
    const filter = scopeFilter(scope, operation, options.conversationId === undefined ? {} : { conversationId: options.conversationId });
    const query = checkVector(vector, this.dimension, operation);
    const limit = checkLimit(options.limit, MAX_SEARCH_LIMIT, operation);
    const threshold = options.scoreThreshold;
    if (threshold !== undefined && !Number.isFinite(threshold)) throw invalidArgument(operation, 'search: scoreThreshold must be a finite number.');
    const request = {
      collection_name: this.collection,
      timeout: serverTimeout(options, this.#context.timeoutMs),
      query,
      filter,
      limit,
      with_payload: true,
      with_vector: false,
      ...(threshold === undefined ? {} : { score_threshold: threshold }),
    };
    const result = await this.#runOnPoints(operation, options, async (init) => (await this.#api.queryPoints(request, init)).data.result);
    const hits: MemoryHit[] = [];
    for (const point of result?.points ?? []) {
      const found = record(point.id, point.payload, scope);
      if (found) hits.push({ id: found.id, score: point.score, payload: found.payload });
    }
    return hits;
  }

  async count(scope: ScopeRef, options?: CountOptions): Promise<number> {
    const filter = scopeFilter(scope, 'count', options?.conversationId === undefined ? {} : { conversationId: options.conversationId });
    return this.#count('count', filter, options);
  }

  async deleteById(scope: ScopeRef, id: string, options?: CallOptions): Promise<boolean> {
    const operation = 'deleteById';
    scopeFilter(scope, operation); // a missing user id fails even when the id is malformed
    const pointId = canonicalPointId(id);
    if (pointId === undefined) return false;
    const filter = scopeFilter(scope, operation, { pointId });
    return (await this.#deleteMatching(operation, filter, options)) > 0;
  }

  async deleteConversation(scope: ScopeRef, conversationId: string, options?: CallOptions): Promise<number> {
    return this.#deleteMatching('deleteConversation', scopeFilter(scope, 'deleteConversation', { conversationId }), options);
  }

  async deleteScope(scope: ScopeRef, options?: CallOptions): Promise<number> {
    return this.#deleteMatching('deleteScope', scopeFilter(scope, 'deleteScope'), options);
  }

  /** The whole account: its own memories and every end user's. */
  async deleteUser(userId: string, options?: CallOptions): Promise<number> {
    return this.#deleteMatching('deleteUser', tenantFilter(userId, 'deleteUser'), options);
  }

  async scroll(ref: ScopeRef, options: ScrollOptions): Promise<MemoryPage> {
    const operation = 'scroll';
    const scope = scopeOf(ref);
    const filter = scopeFilter(scope, operation, options.conversationId === undefined ? {} : { conversationId: options.conversationId });
    const limit = checkLimit(options.limit, MAX_SCROLL_LIMIT, operation);
    let offset: string | undefined;
    if (options.offset !== undefined && options.offset !== null) {
      offset = canonicalPointId(options.offset);
      if (offset === undefined) throw invalidArgument(operation, 'scroll: offset is not a cursor this store returned (expected a memory id).');
    }
    const request = { collection_name: this.collection, timeout: serverTimeout(options, this.#context.timeoutMs), filter, limit, with_payload: true, with_vector: false, ...(offset ? { offset } : {}) };
    const result = await this.#runOnPoints(operation, options, async (init) => (await this.#api.scrollPoints(request, init)).data.result);
    const memories: MemoryRecord[] = [];
    for (const point of result?.points ?? []) {
      const found = record(point.id, point.payload, scope);
      if (found) memories.push(found);
    }
    const next = result?.next_page_offset;
    return { memories, nextOffset: typeof next === 'string' ? (canonicalPointId(next) ?? null) : null };
  }

  async #count(operation: string, filter: QdrantFilter, options: CallOptions | undefined): Promise<number> {
    const request = { collection_name: this.collection, timeout: serverTimeout(options, this.#context.timeoutMs), filter, exact: true };
    const result = await this.#runOnPoints(operation, options, async (init) => (await this.#api.countPoints(request, init)).data.result);
    return result?.count ?? 0;
  }

  /** Counts, then deletes by the same tenant filter; skips the write when nothing matches. */
  async #deleteMatching(operation: string, filter: QdrantFilter, options: CallOptions | undefined): Promise<number> {
    const matched = await this.#count(operation, filter, options);
    if (matched === 0) return 0;
    await this.#runOnPoints(operation, options, (init) => this.#api.deletePoints({ collection_name: this.collection, wait: true, filter }, init));
    return matched;
  }
}
