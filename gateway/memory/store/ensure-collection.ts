// Start-up: make sure the collection for this embedding space exists with the right vectors and
// the payload indexes the store's filters rely on. Safe to run from every replica at once: a
// creation race ends in 409 for the loser, which then checks what the winner created, and
// creating an index that already exists is a no-op.
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

function checkVectors(spec: CollectionSpec, info: Schemas['CollectionInfo']): void {
  const vectors = info.config.params.vectors as { size?: unknown; distance?: unknown } | undefined;
  const embedder = `the embedder "${spec.embedderId}" produces ${spec.dimension}`;
  if (vectors === undefined || typeof vectors.size !== 'number') throw mismatch(spec, `has named vectors (or none) but ${embedder}-dimensional unnamed vectors`);
  if (vectors.size !== spec.dimension) throw mismatch(spec, `has ${vectors.size}-dimensional vectors but ${embedder}`);
  if (vectors.distance !== 'Cosine') throw mismatch(spec, `compares vectors by ${String(vectors.distance)} but the memory store needs Cosine`);
}

function isConflict(err: unknown): boolean {
  return err instanceof MemoryStoreError && err.status === 409;
}

export async function ensureCollection(api: Api, run: Run, spec: CollectionSpec, options?: CallOptions): Promise<void> {
  const collection_name = spec.collection;
  const exists = await run('ensureCollection', options, async (init) => (await api.collectionExists({ collection_name }, init)).data.result?.exists === true);
  if (!exists) {
    await run('ensureCollection', options, (init) => api.createCollection({ collection_name, vectors: { size: spec.dimension, distance: 'Cosine' }, hnsw_config: HNSW }, init)).catch((err: unknown) => {
      if (!isConflict(err)) throw err;
    });
  }
  const info = await run('ensureCollection', options, async (init) => (await api.getCollection({ collection_name }, init)).data.result);
  if (info === undefined) throw new MemoryStoreError(`Qdrant returned no description of collection "${collection_name}".`, { code: 'server_error', operation: 'ensureCollection' });
  checkVectors(spec, info);
  for (const index of INDEXES) {
    const present = info.payload_schema[index.field];
    if (present !== undefined && index.satisfiedBy(present)) continue;
    await run('ensureCollection', options, (init) => api.createFieldIndex({ collection_name, wait: true, field_name: index.field, field_schema: index.schema }, init));
  }
}
