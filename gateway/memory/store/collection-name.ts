// One Qdrant collection per embedding space and storage schema:
// `${base}__${slug(embedderId)}__${dimension}__hybrid-v${LEXICAL_ENCODER_VERSION}`.
//
// Vectors from two embedding models (or one model at two dimensions) live in different spaces:
// cosine similarity between them is meaningless, so a search would return confident nonsense
// rather than an error. Naming the collection after the model and the dimension means that
// changing the embedder starts a fresh collection instead of mixing spaces; the old memories stay
// in the old collection until an operator re-embeds or deletes them. Tenants share the collection
// (Qdrant's multitenancy guidance: a payload-indexed `user_id` with `is_tenant`, never a
// collection per user), so the number of collections grows with models, not users.
//
// The last part names the schema: each point holds the dense vector and a sparse lexical vector
// (lexical-vector.ts) whose encoding has a version. Qdrant cannot add a sparse vector to an
// existing collection (PATCH answers "Not existing vector name"), so a new schema is a new
// collection, and the store copies the memories of the previous ones into it (legacy-migration.ts).
// Collections before hybrid recall had no suffix.
import { createHash } from 'node:crypto';
import { LEXICAL_ENCODER_VERSION } from '../embedding/lexical-vector.ts';

/** Qdrant refuses names longer than 255 bytes; keep well below with room for the suffixes. */
const MAX_SLUG = 64;
const BASE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Lower-case letters, digits and single dashes. Ids that differ only in punctuation or case
 * ("openai:text-embedding-3-small" and "OpenAI/text-embedding-3-small") share a slug; they name
 * the same model. A slug cut to length gets a hash of the full id so that long ids stay distinct.
 */
export function slug(embedderId: string): string {
  const plain = embedderId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (plain.length === 0)
    throw new RangeError(`Embedder id ${JSON.stringify(embedderId)} has no letters or digits to name a collection after.`);
  if (plain.length <= MAX_SLUG) return plain;
  const hash = createHash('sha256').update(embedderId).digest('hex').slice(0, 8);
  return `${plain.slice(0, MAX_SLUG - 9).replace(/-+$/, '')}-${hash}`;
}

/** The current schema's suffix. */
export const SCHEMA_SUFFIX = `hybrid-v${LEXICAL_ENCODER_VERSION}`;

/** The collection of one embedding space before the schema suffix (dense vectors only, before hybrid recall). */
export function denseOnlyCollectionName(base: string, embedderId: string, dimension: number): string {
  if (!BASE.test(base))
    throw new RangeError(
      `Qdrant collection base name ${JSON.stringify(base)} must be 1-128 letters, digits, "_", "-" or ".", starting with a letter or digit.`,
    );
  if (!Number.isInteger(dimension) || dimension < 1)
    throw new RangeError(`Embedding dimension must be a positive integer, got ${dimension}.`);
  return `${base}__${slug(embedderId)}__${dimension}`;
}

/** The collection the store reads and writes: the embedding space and the current schema. */
export function collectionName(base: string, embedderId: string, dimension: number): string {
  return `${denseOnlyCollectionName(base, embedderId, dimension)}__${SCHEMA_SUFFIX}`;
}

/**
 * Collections of the same embedding space under earlier schemas, oldest first, whose memories the
 * store migrates into the current one. A later encoder version adds the previous suffix here.
 */
export function previousCollectionNames(base: string, embedderId: string, dimension: number): string[] {
  return [denseOnlyCollectionName(base, embedderId, dimension)];
}
