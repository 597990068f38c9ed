// Start-up: make sure the collection for this embedding space exists with the right vectors and
// the payload indexes the store's filters rely on. Safe to run from every replica at once: a
// creation race ends in 409 for the loser, which then checks what the winner created, and
// creating an index that already exists is a no-op.
//
// The collection holds two vectors per point: the embedder's dense vector (unnamed, Cosine) and
// the lexical sparse vector LEXICAL_VECTOR with `modifier: "idf"`. Qdrant keeps the IDF statistics
// per collection, and tenants share the collection, so a word's rarity is measured over every
// account's memories, not the asking user's alone. That is deliberate (per-tenant statistics
// would need a collection per tenant, which Qdrant advises against) and harmless: the statistic
// is a weight, never a document, and no query can see another tenant's points (tenant-filter.ts).
import type { QdrantClient, Schemas } from '@qdrant/js-client-rest';
import { MemoryStoreError } from './memory-store-error.ts';
import type { CallOptions, Work } from './qdrant-call.ts';

type Api = ReturnType<QdrantClient['api']>;
type FieldSchema = Schemas['PayloadFieldSchema'];
type Run = <T>(operation: string, options: CallOptions | undefined, work: Work<T>) => Promise<T>;

export interface CollectionSpec {
  collection: string;
  embedderId: string;
  dimension: number;
}

/** The name of the sparse lexical vector in every memory collection. */
export const LEXICAL_VECTOR = 'lexical';

interface WantedIndex {
  field: string;
  schema: FieldSchema;
  /** Does the existing index already serve? */
  satisfiedBy(info: Schemas['PayloadIndexInfo']): boolean;
}

/**
 * `user_id` is the tenant key: `is_tenant` lets Qdrant lay out storage per tenant (v1.11+), which
 * makes the filter every query carries the cheap part of the query.
 */
const INDEXES: readonly WantedIndex[] = [
  {
    field: 'user_id',
    schema: { type: 'keyword', is_tenant: true },
    satisfiedBy: (info) => info.data_type === 'keyword' && (info.params as { is_tenant?: unknown } | null | undefined)?.is_tenant === true,
  },
  // The second level of tenancy: every read but account erasure filters on it (tenant-filter.ts).
  // Not `is_tenant`: Qdrant lays out storage by one tenant field, and the account is the right one.
  { field: 'end_user', schema: 'keyword', satisfiedBy: (info) => info.data_type === 'keyword' },
  { field: 'conversation_id', schema: 'keyword', satisfiedBy: (info) => info.data_type === 'keyword' },
  { field: 'created_at', schema: 'integer', satisfiedBy: (info) => info.data_type === 'integer' },
  // Facts (gateway/memory/facts/): found by kind and subject when a new fact may supersede them,
  // and skipped by recall once superseded.
  { field: 'kind', schema: 'keyword', satisfiedBy: (info) => info.data_type === 'keyword' },
  { field: 'subject', schema: 'keyword', satisfiedBy: (info) => info.data_type === 'keyword' },
  { field: 'superseded_by', schema: 'keyword', satisfiedBy: (info) => info.data_type === 'keyword' },
  // Deleting a turn deletes the facts extracted from it (qdrant-memory-store.ts deleteById).
  { field: 'source_ids', schema: 'keyword', satisfiedBy: (info) => info.data_type === 'keyword' },
];

/**
 * Every search filters by tenant, so the global HNSW graph (m) would never be used; per-tenant
 * graphs (payload_m) are what Qdrant's multitenancy guide recommends for this layout.
 */
const HNSW = { m: 0, payload_m: 16 };

function mismatch(spec: CollectionSpec, problem: string): MemoryStoreError {
  const message =
    `Qdrant collection "${spec.collection}" ${problem}: ` +
    'the collection name encodes the embedding model and dimension, so something other than this gateway created it. ' +
    'Delete that collection if its contents are disposable, or set a different vector-store collection base name (QDRANT_COLLECTION / vectorStore.collection) so the gateway creates its own.';
  return new MemoryStoreError(message, { code: 'dimension_mismatch', operation: 'ensureCollection' });
}

function checkDenseVectors(spec: CollectionSpec, info: Schemas['CollectionInfo']): void {
  const vectors = info.config.params.vectors as { size?: unknown; distance?: unknown } | undefined;
  const embedder = `the embedder "${spec.embedderId}" produces ${spec.dimension}`;
  if (vectors === undefined || typeof vectors.size !== 'number')
    throw mismatch(spec, `has named vectors (or none) but ${embedder}-dimensional unnamed vectors`);
  if (vectors.size !== spec.dimension) throw mismatch(spec, `has ${vectors.size}-dimensional vectors but ${embedder}`);
  if (vectors.distance !== 'Cosine')
    throw mismatch(spec, `compares vectors by ${String(vectors.distance)} but the memory store needs Cosine`);
}

function checkLexicalVector(spec: CollectionSpec, info: Schemas['CollectionInfo']): void {
  const sparse = info.config.params.sparse_vectors as Record<string, { modifier?: unknown } | undefined> | null | undefined;
  const lexical = sparse?.[LEXICAL_VECTOR];
  if (lexical === undefined) throw mismatch(spec, `has no sparse vector "${LEXICAL_VECTOR}" for lexical recall`);
  if (lexical.modifier !== 'idf')
    throw mismatch(spec, `has the sparse vector "${LEXICAL_VECTOR}" without the "idf" modifier lexical recall needs`);
}

const SCHEMA = {
  // Unnamed, as before hybrid recall: the dense vector is the point's default vector.
  vectorsFor: (dimension: number) => ({ size: dimension, distance: 'Cosine' as const }),
  sparse_vectors: { [LEXICAL_VECTOR]: { modifier: 'idf' as const } },
};

function isConflict(err: unknown): boolean {
  return err instanceof MemoryStoreError && err.status === 409;
}

export async function ensureCollection(api: Api, run: Run, spec: CollectionSpec, options?: CallOptions): Promise<void> {
  const collection_name = spec.collection;
  const exists = await run(
    'ensureCollection',
    options,
    async (init) => (await api.collectionExists({ collection_name }, init)).data.result?.exists === true,
  );
  if (!exists) {
    const body = { collection_name, vectors: SCHEMA.vectorsFor(spec.dimension), sparse_vectors: SCHEMA.sparse_vectors, hnsw_config: HNSW };
    await run('ensureCollection', options, (init) => api.createCollection(body, init)).catch((err: unknown) => {
      if (!isConflict(err)) throw err;
    });
  }
  const info = await run('ensureCollection', options, async (init) => (await api.getCollection({ collection_name }, init)).data.result);
  if (info === undefined)
    throw new MemoryStoreError(`Qdrant returned no description of collection "${collection_name}".`, {
      code: 'server_error',
      operation: 'ensureCollection',
    });
  checkDenseVectors(spec, info);
  checkLexicalVector(spec, info);
  for (const index of INDEXES) {
    const present = info.payload_schema[index.field];
    if (present !== undefined && index.satisfiedBy(present)) continue;
    await run('ensureCollection', options, (init) =>
      api.createFieldIndex({ collection_name, wait: true, field_name: index.field, field_schema: index.schema }, init),
    );
  }
}

/**
 * Whether a collection of an earlier schema (dense vectors only) exists for this embedding space,
 * with the vectors this embedder makes. One that holds other vectors was not written by this
 * gateway: refused the way a mismatched current collection is, rather than copied.
 */
export async function previousCollectionExists(api: Api, run: Run, spec: CollectionSpec, options?: CallOptions): Promise<boolean> {
  const collection_name = spec.collection;
  const exists = await run(
    'ensureCollection',
    options,
    async (init) => (await api.collectionExists({ collection_name }, init)).data.result?.exists === true,
  );
  if (!exists) return false;
  try {
    const info = await run('ensureCollection', options, async (init) => (await api.getCollection({ collection_name }, init)).data.result);
    if (info === undefined) return false;
    checkDenseVectors(spec, info);
    return true;
  } catch (err) {
    // Deleted in between: another replica finished migrating it.
    if (err instanceof MemoryStoreError && err.code === 'not_found') return false;
    throw err;
  }
}
