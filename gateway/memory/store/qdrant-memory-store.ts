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
//
// Recall is hybrid (Query API): one prefetch by the dense vector, one by the question's lexical
// sparse vector (lexical-vector.ts; Qdrant applies IDF), fused by Reciprocal Rank Fusion. Every
// prefetch carries the scope's filter itself, and the root query carries it again: Qdrant does
// apply a root filter to prefetches, but isolation must not rest on that. RRF rather than DBSF:
// the two channels' scores live on unrelated scales (cosine in [-1, 1], BM25 unbounded, growing
// with the question's length). On the recall benchmark (test/bench/memory-recall.ts) the two
// were within two points of each other at every depth (RRF ahead on one seed, DBSF by half a
// point on another) and identical within the token budget, so the rank-based one, which no
// channel's outlier score can swing and which has no scale to drift, is the default. Weighting
// the lexical channel (Qdrant's weighted RRF, `lexicalWeight`) measured about a point better at
// depth 5 and slightly worse at 20: not enough to ship a fitted constant.
//
// Collections of an earlier schema (dense vectors only, named without the schema suffix: see
// collection-name.ts) are migrated in the background after ensureCollection: scrolled page by
// page, each point written into the current collection with the same id, payload and dense
// vector plus a lexical vector computed from its text, and the old collection deleted once every
// page is copied (deleting it is what marks the migration done; kept, a restart would copy it
// again and bring back memories deleted since). Until then, deletes also apply to the old
// collection, first, and each copied page is checked against it afterwards so that a memory
// deleted while its page was in flight is deleted from the copy too. Meanwhile reads see the
// current collection only: memories not yet copied are missing from recall for the seconds the
// copy takes, never lost. Several replicas may copy at once; the copies are identical.
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { documentLexicalVector, queryLexicalVector, type SparseVector } from '../embedding/lexical-vector.ts';
import { collectionName, previousCollectionNames } from './collection-name.ts';
import { ensureCollection, LEXICAL_VECTOR, previousCollectionExists } from './ensure-collection.ts';
import { collectionPath, QdrantHttp } from './qdrant-http.ts';
import { checkVector, parsePayload, preparePoint, supersededPayload, type NewMemory, type PreparedPoint } from './memory-payload.ts';
import { invalidArgument, MemoryStoreError } from './memory-store-error.ts';
import type {
  CountOptions,
  FactLookup,
  Fusion,
  MemoryHit,
  MemoryPage,
  MemoryRecord,
  MemoryStore,
  ScrollOptions,
  SearchMode,
  SearchOptions,
  Supersede,
} from './memory-store.ts';
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
  /** Called when the memories of an earlier schema's collection have all been copied (and it was deleted). */
  onMigrated?: (migration: { from: string; to: string; copied: number }) => void;
  /** Called when a background migration stopped on an error; the next ensureCollection (a restart) resumes it. */
  onMigrationFailed?: (migration: { from: string; to: string; error: MemoryStoreError }) => void;
}

const DEFAULT_TIMEOUT_MS = 5000;
const MAX_SEARCH_LIMIT = 100;
const MAX_SCROLL_LIMIT = 1000;
/** Points per upsert request: a long turn split into many chunks still makes modest requests. */
const UPSERT_BATCH = 128;
/** Points per page when copying an earlier schema's collection. */
const MIGRATION_PAGE = 256;

type Api = ReturnType<QdrantClient['api']>;
type PointId = Schemas['ExtendedPointId'];

function checkLimit(limit: number, max: number, operation: string): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw invalidArgument(operation, `${operation}: limit must be an integer from 1 to ${max}, got ${limit}.`);
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
  if (canonical === undefined || payload === undefined || payload.user_id !== scope.userId || payload.end_user !== scope.endUser)
    return undefined;
  return { id: canonical, payload };
}

/** The point's vectors: the dense one unnamed (""), the lexical one beside it when the text has content words. */
function vectors(dense: number[], sparse: SparseVector): Schemas['VectorStruct'] {
  return sparse.indices.length === 0 ? { '': dense } : { '': dense, [LEXICAL_VECTOR]: sparse };
}

function toQdrantPoint(point: PreparedPoint): Schemas['PointStruct'] {
  return { id: point.id, vector: vectors(point.vector, point.sparse), payload: { ...point.payload } };
}

/** The dense vector of a point scrolled from a dense-only collection (an unnamed vector). */
function denseOf(vector: unknown): number[] | undefined {
  const dense = Array.isArray(vector)
    ? vector
    : typeof vector === 'object' && vector !== null
      ? (vector as Record<string, unknown>)['']
      : undefined;
  return Array.isArray(dense) && dense.every((x) => typeof x === 'number') ? dense : undefined;
}

/** Sets of unknown, so the checks also hold for callers that are not type-checked. */
const MODES: ReadonlySet<unknown> = new Set(['dense', 'lexical', 'hybrid']);
const FUSIONS: ReadonlySet<unknown> = new Set(['rrf', 'dbsf']);

function searchMode(options: SearchOptions): SearchMode {
  const mode = options.mode ?? (options.text === undefined ? 'dense' : 'hybrid');
  if (!MODES.has(mode)) throw invalidArgument('search', 'search: mode must be "dense", "lexical" or "hybrid".');
  if (mode !== 'dense' && typeof options.text !== 'string')
    throw invalidArgument('search', `search: a ${mode} search needs the question's text.`);
  return mode;
}

function fusionQuery(fusion: Fusion | undefined, lexicalWeight: number | undefined): Schemas['FusionQuery'] | Schemas['RrfQuery'] {
  const method = fusion ?? 'rrf';
  if (!FUSIONS.has(method)) throw invalidArgument('search', 'search: fusion must be "rrf" or "dbsf".');
  if (lexicalWeight === undefined || lexicalWeight === 1) return { fusion: method };
  if (method !== 'rrf' || !Number.isFinite(lexicalWeight) || lexicalWeight <= 0)
    throw invalidArgument('search', 'search: lexicalWeight must be a positive number, and applies to RRF only.');
  // Prefetch order: dense, then lexical (queryBody).
  return { rrf: { weights: [1, lexicalWeight] } };
}

interface QueryPlan {
  dense: number[];
  /** The question's lexical vector; undefined when it has no content words (or the search is dense). */
  lexical: SparseVector | undefined;
  filter: QdrantFilter;
  limit: number;
  threshold: number | undefined;
  mode: SearchMode;
  fusion: Schemas['FusionQuery'] | Schemas['RrfQuery'];
}

/**
 * The body of one Query API call, without the collection. The scope's filter goes into every
 * prefetch and the root (see the header); the cosine threshold into the dense channel only.
 */
function queryBody(plan: QueryPlan): Record<string, unknown> {
  const { dense, lexical, filter, limit, threshold } = plan;
  const byVector = { query: dense, filter, limit, ...(threshold === undefined ? {} : { score_threshold: threshold }) };
  if (lexical === undefined) return byVector;
  const byWords = { query: lexical, using: LEXICAL_VECTOR, filter, limit };
  if (plan.mode === 'lexical') return byWords;
  return { prefetch: [byVector, byWords], query: plan.fusion, filter, limit };
}

export class QdrantMemoryStore implements MemoryStore {
  readonly collection: string;
  readonly dimension: number;
  readonly #embedderId: string;
  readonly #api: Api;
  /** Recall's query and the writes: the calls on the request path, without the client library's fetch (qdrant-http.ts). */
  readonly #http: QdrantHttp;
  readonly #context: CallContext;
  readonly #onCollectionRecreated: (collection: string) => void;
  readonly #onMigrated: NonNullable<QdrantMemoryStoreOptions['onMigrated']>;
  readonly #onMigrationFailed: NonNullable<QdrantMemoryStoreOptions['onMigrationFailed']>;
  /** Earlier schemas' collections of this embedding space, oldest first. */
  readonly #previous: readonly string[];
  /** Those found to exist and not yet fully copied: deletes apply to them too. */
  readonly #unmigrated = new Set<string>();
  /** The background copy in flight, if any. */
  #migration: Promise<void> | undefined;
  /** The one re-creation in flight, shared by every operation that found the collection missing. */
  #recreating: Promise<void> | undefined;

  constructor(options: QdrantMemoryStoreOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new RangeError('Qdrant URL is not a valid URL (expected e.g. http://qdrant:6333).');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new RangeError(`Qdrant URL must start with http:// or https:// (the scheme given is "${url.protocol}").`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new RangeError(`Qdrant timeout must be a positive number of milliseconds, got ${timeoutMs}.`);
    this.collection = collectionName(options.baseCollection, options.embedder.id, options.embedder.dimension);
    this.dimension = options.embedder.dimension;
    this.#embedderId = options.embedder.id;
    const prefix = url.pathname.replace(/\/+$/, '');
    const headers = { 'accept-encoding': 'identity', ...(options.apiKey ? { 'api-key': options.apiKey } : {}) };
    const client = new QdrantClient({
      url: url.origin,
      ...(prefix ? { prefix } : {}),
      // The key goes in as a plain header rather than `apiKey`: with `apiKey` the client
      // console.warns on every start over http, which is normal for an in-cluster Qdrant.
      // Uncompressed answers: Qdrant compresses when asked (fetch asks by default) and then
      // writes the answer in several small pieces; on a kept-alive connection the last piece
      // waits for an ACK the client delays by 40 ms (Nagle against delayed ACK), which made
      // most recalls of 20 or more memories take 45 ms instead of 3 (test/bench/memory-latency.ts).
      // Memory answers are at most a few hundred kB on a cluster network: compression saves nothing worth that.
      headers,
      // Infinity leaves the client's timeout middleware out, so our signal reaches fetch (qdrant-call.ts).
      timeout: Infinity,
      checkCompatibility: false,
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    });
    this.#api = client.api();
    this.#http = new QdrantHttp({
      origin: url.origin,
      prefix,
      headers,
      ...(options.maxConnections === undefined ? {} : { connections: options.maxConnections }),
    });
    this.#context = { collection: this.collection, origin: url.origin, timeoutMs, secrets: options.apiKey ? [options.apiKey] : [] };
    this.#onCollectionRecreated = options.onCollectionRecreated ?? (() => undefined);
    this.#onMigrated = options.onMigrated ?? (() => undefined);
    this.#onMigrationFailed = options.onMigrationFailed ?? (() => undefined);
    this.#previous = previousCollectionNames(options.baseCollection, options.embedder.id, options.embedder.dimension);
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
      .then(() => {
        this.#onCollectionRecreated(this.collection);
      })
      .finally(() => {
        this.#recreating = undefined;
      });
    return this.#recreating;
  }

  async ensureCollection(options?: CallOptions): Promise<void> {
    const run = <T>(operation: string, opts: CallOptions | undefined, work: Work<T>): Promise<T> => this.#run(operation, opts, work);
    await ensureCollection(
      this.#api,
      run,
      { collection: this.collection, embedderId: this.#embedderId, dimension: this.dimension },
      options,
    );
    for (const previous of this.#previous) {
      if (
        await previousCollectionExists(
          this.#api,
          run,
          { collection: previous, embedderId: this.#embedderId, dimension: this.dimension },
          options,
        )
      )
        this.#unmigrated.add(previous);
    }
    if (this.#unmigrated.size > 0)
      this.#migration ??= this.#migrateAll().finally(() => {
        this.#migration = undefined;
      });
  }

  /** Resolves when no migration is in flight (at once when there is none). Never rejects: failures go to onMigrationFailed. */
  async migrated(): Promise<void> {
    await this.#migration;
  }

  async #migrateAll(): Promise<void> {
    for (const from of [...this.#unmigrated]) {
      try {
        const copied = await this.#migrate(from);
        this.#unmigrated.delete(from);
        if (copied !== undefined) this.#onMigrated({ from, to: this.collection, copied });
      } catch (err) {
        const error =
          err instanceof MemoryStoreError
            ? err
            : new MemoryStoreError(err instanceof Error ? err.message : String(err), { code: 'server_error', operation: 'migrate' });
        this.#onMigrationFailed({ from, to: this.collection, error });
        return;
      }
    }
  }

  /** Copies every point of `from` into the current collection, then deletes `from`. Undefined when another replica finished first. */
  async #migrate(from: string): Promise<number | undefined> {
    const operation = 'migrate';
    let offset: PointId | undefined;
    let copied = 0;
    const gone = (err: unknown): undefined => {
      if (err instanceof MemoryStoreError && err.code === 'not_found') return undefined;
      throw err;
    };
    for (;;) {
      const request = {
        collection_name: from,
        limit: MIGRATION_PAGE,
        with_payload: true,
        with_vector: true,
        ...(offset === undefined ? {} : { offset }),
      };
      const page = await this.#run(operation, undefined, async (init) => (await this.#api.scrollPoints(request, init)).data.result).catch(
        gone,
      );
      if (page === undefined) return undefined;
      const points: Schemas['PointStruct'][] = [];
      for (const point of page.points) {
        const dense = denseOf(point.vector);
        if (dense === undefined || dense.length !== this.dimension) continue; // not a memory this store could ever have searched
        const text = (point.payload as { text?: unknown } | null | undefined)?.text;
        const sparse = typeof text === 'string' ? documentLexicalVector(text) : { indices: [], values: [] };
        points.push({ id: point.id, vector: vectors(dense, sparse), payload: point.payload ?? {} });
      }
      if (points.length > 0) {
        await this.#runOnPoints(operation, undefined, (init) =>
          this.#api.upsertPoints({ collection_name: this.collection, wait: true, points }, init),
        );
        // A memory deleted after this page was read was deleted from `from` first (see #deleteMatching): take it out of the copy too.
        const ids = points.map((p) => p.id);
        const check = {
          collection_name: from,
          filter: { must: [{ has_id: ids }] },
          limit: ids.length,
          with_payload: false,
          with_vector: false,
        };
        const still = await this.#run(operation, undefined, async (init) => (await this.#api.scrollPoints(check, init)).data.result).catch(
          gone,
        );
        if (still === undefined) return undefined;
        const present = new Set(still.points.map((p) => canonicalPointId(p.id)));
        const deleted = ids.filter((id) => !present.has(canonicalPointId(id)));
        if (deleted.length > 0)
          await this.#runOnPoints(operation, undefined, (init) =>
            this.#api.deletePoints({ collection_name: this.collection, wait: true, points: deleted }, init),
          );
        copied += points.length - deleted.length;
      }
      const next = page.next_page_offset;
      if (next === null || next === undefined) break;
      offset = next as PointId;
    }
    await this.#run(operation, undefined, (init) => this.#api.deleteCollection({ collection_name: from }, init)).catch(gone);
    return copied;
  }

  async health(options?: CallOptions): Promise<void> {
    const collection_name = this.collection;
    const exists = await this.#run(
      'health',
      options,
      async (init) => (await this.#api.collectionExists({ collection_name }, init)).data.result?.exists === true,
    );
    if (!exists)
      throw new MemoryStoreError(
        `Qdrant is up but collection "${collection_name}" does not exist; the next memory operation creates it again (memories it held are gone).`,
        { code: 'not_found', operation: 'health' },
      );
  }

  async upsert(memories: readonly NewMemory[], options?: CallOptions): Promise<string[]> {
    // Validate everything before writing anything, so a bad item cannot leave half a turn stored.
    const points = memories.map((memory) => preparePoint(memory, this.dimension));
    for (let start = 0; start < points.length; start += UPSERT_BATCH) {
      const batch = points.slice(start, start + UPSERT_BATCH).map(toQdrantPoint);
      await this.#runOnPoints('upsert', options, (init) =>
        this.#http.call('PUT', `${collectionPath(this.collection)}/points?wait=true`, { points: batch }, init.signal),
      );
    }
    return points.map((point) => point.id);
  }

  async search(ref: ScopeRef, vector: Float32Array | readonly number[], options: SearchOptions): Promise<MemoryHit[]> {
    const operation = 'search';
    const scope = scopeOf(ref);
    const filter = scopeFilter(scope, operation, {
      ...(options.conversationId === undefined ? {} : { conversationId: options.conversationId }),
      ...(options.factsOnly === true ? { factsOnly: true } : {}),
      activeOnly: true,
    });
    const dense = checkVector(vector, this.dimension, operation);
    const limit = checkLimit(options.limit, MAX_SEARCH_LIMIT, operation);
    const threshold = options.scoreThreshold;
    if (threshold !== undefined && !Number.isFinite(threshold))
      throw invalidArgument(operation, 'search: scoreThreshold must be a finite number.');
    const mode = searchMode(options);
    const fusion = fusionQuery(options.fusion, options.lexicalWeight);
    const sparse = mode === 'dense' ? undefined : queryLexicalVector(options.text ?? '');
    const lexical = sparse !== undefined && sparse.indices.length > 0 ? sparse : undefined;
    if (mode === 'lexical' && lexical === undefined) return []; // no content words: nothing can match by words
    const path = `${collectionPath(this.collection)}/points/query?timeout=${String(serverTimeout(options, this.#context.timeoutMs))}`;
    const body = { ...queryBody({ dense, lexical, filter, limit, threshold, mode, fusion }), with_payload: true, with_vector: false };
    const result = await this.#runOnPoints(
      operation,
      options,
      async (init) => (await this.#http.call<{ result?: Schemas['QueryResponse'] }>('POST', path, body, init.signal)).result,
    );
    const hits: MemoryHit[] = [];
    for (const point of result?.points ?? []) {
      const found = record(point.id, point.payload, scope);
      if (found) hits.push({ id: found.id, score: point.score, payload: found.payload });
    }
    return hits;
  }

  async activeFacts(ref: ScopeRef, options: FactLookup): Promise<MemoryRecord[]> {
    const operation = 'activeFacts';
    const scope = scopeOf(ref);
    const limit = checkLimit(options.limit, MAX_SCROLL_LIMIT, operation);
    if (options.subjects.length === 0) {
      scopeFilter(scope, operation); // a missing user id fails even with nothing to look up
      return [];
    }
    const filter = scopeFilter(scope, operation, { factsOnly: true, subjects: options.subjects, activeOnly: true });
    const request = {
      collection_name: this.collection,
      timeout: serverTimeout(options, this.#context.timeoutMs),
      filter,
      limit,
      with_payload: true,
      with_vector: false,
    };
    const result = await this.#runOnPoints(operation, options, async (init) => (await this.#api.scrollPoints(request, init)).data.result);
    const facts: MemoryRecord[] = [];
    for (const point of result?.points ?? []) {
      const found = record(point.id, point.payload, scope);
      if (found) facts.push(found);
    }
    return facts;
  }

  /**
   * Read with their vectors and written back with the mark: an upsert of the same point (Qdrant's
   * set_payload would do without the read, but the store keeps to the calls the emulator and the
   * contract suite cover). The read is filtered by the scope, so only the scope's own active facts
   * can be marked, whatever ids the caller passes.
   */
  async supersede(ref: ScopeRef, marking: Supersede, options?: CallOptions): Promise<string[]> {
    const { ids, by, at } = marking;
    const operation = 'supersede';
    const scope = scopeOf(ref);
    scopeFilter(scope, operation);
    const wanted = [...new Set(ids.map(canonicalPointId).filter((id): id is string => id !== undefined))];
    const replacement = canonicalPointId(by);
    if (replacement === undefined) throw invalidArgument(operation, 'supersede: `by` must be a memory id.');
    const targets = wanted.filter((id) => id !== replacement);
    if (targets.length === 0) return [];
    const filter = scopeFilter(scope, operation, { pointIds: targets, factsOnly: true, activeOnly: true });
    const request = {
      collection_name: this.collection,
      timeout: serverTimeout(options, this.#context.timeoutMs),
      filter,
      limit: Math.min(targets.length, MAX_SCROLL_LIMIT),
      with_payload: true,
      with_vector: true,
    };
    const result = await this.#runOnPoints(operation, options, async (init) => (await this.#api.scrollPoints(request, init)).data.result);
    const points: Schemas['PointStruct'][] = [];
    for (const point of result?.points ?? []) {
      const found = record(point.id, point.payload, scope);
      const dense = denseOf(point.vector);
      if (!found || dense === undefined) continue;
      const payload = supersededPayload(found.payload, replacement, at);
      points.push({ id: found.id, vector: vectors(dense, documentLexicalVector(payload.text)), payload: { ...payload } });
    }
    if (points.length === 0) return [];
    await this.#runOnPoints(operation, options, (init) =>
      this.#api.upsertPoints({ collection_name: this.collection, wait: true, points }, init),
    );
    return points.map((p) => String(p.id));
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
    const existed = (await this.#deleteMatching(operation, scopeFilter(scope, operation, { pointId }), options)) > 0;
    // A fact says what its source turns said: erasing a turn erases the facts drawn from it, even
    // those that drew on other turns too. Only the scope's own facts; the turn ids of another
    // scope differ anyway (point-id.ts), but isolation must not rest on that. Done also when the
    // turn was already gone, so a repeated delete clears facts a first one (or an older release) left.
    await this.#deleteMatching(operation, scopeFilter(scope, operation, { factsOnly: true, sourceId: pointId }), options);
    return existed;
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
      if (offset === undefined)
        throw invalidArgument(operation, 'scroll: offset is not a cursor this store returned (expected a memory id).');
    }
    const request = {
      collection_name: this.collection,
      timeout: serverTimeout(options, this.#context.timeoutMs),
      filter,
      limit,
      with_payload: true,
      with_vector: false,
      ...(offset ? { offset } : {}),
    };
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

  /**
   * Counts, then deletes by the same tenant filter; skips the write when nothing matches. While an
   * earlier schema's collection is being migrated, its matching points are deleted first (so the
   * copy cannot bring them back), and the count is the larger of the two: a memory may be in both,
   * so their sum would over-count; memories not yet copied may make it under-count until the copy ends.
   */
  async #deleteMatching(operation: string, filter: QdrantFilter, options: CallOptions | undefined): Promise<number> {
    let previouslyMatched = 0;
    for (const previous of [...this.#unmigrated])
      previouslyMatched = Math.max(previouslyMatched, await this.#deleteFromPrevious(previous, operation, filter, options));
    const matched = await this.#count(operation, filter, options);
    if (matched > 0)
      await this.#runOnPoints(operation, options, (init) =>
        this.#api.deletePoints({ collection_name: this.collection, wait: true, filter }, init),
      );
    return Math.max(matched, previouslyMatched);
  }

  async #deleteFromPrevious(previous: string, operation: string, filter: QdrantFilter, options: CallOptions | undefined): Promise<number> {
    const timeout = serverTimeout(options, this.#context.timeoutMs);
    try {
      const matched =
        (
          await this.#run(
            operation,
            options,
            async (init) => (await this.#api.countPoints({ collection_name: previous, timeout, filter, exact: true }, init)).data.result,
          )
        )?.count ?? 0;
      if (matched > 0)
        await this.#run(operation, options, (init) => this.#api.deletePoints({ collection_name: previous, wait: true, filter }, init));
      return matched;
    } catch (err) {
      // Gone: another replica finished the migration and deleted it.
      if (err instanceof MemoryStoreError && err.code === 'not_found') {
        this.#unmigrated.delete(previous);
        return 0;
      }
      throw err;
    }
  }
}
