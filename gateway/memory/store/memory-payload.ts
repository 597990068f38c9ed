// What one memory point carries besides its vector, exactly as stored in Qdrant (snake_case, so
// that what operators see in the Qdrant UI is what the code reads), and the checks on the way in
// and out. Reads re-validate every payload: a point written by another tool or an older release
// is skipped instead of reaching the prompt with missing fields.
//
// Two kinds of memory share the collection and the tenant fields: raw turns (no `kind` field, as
// every point written before facts existed) and facts (`kind: "fact"`, gateway/memory/facts/):
// short standalone statements an extractor model distilled from turns, with the ids of the turns
// they came from. A fact a later one contradicts is marked `superseded_by` and kept: recall skips
// it (tenant-filter.ts), listing still shows it, and only the user's own deletes remove it.
import { createHash } from 'node:crypto';
import { documentLexicalVector, type SparseVector } from '../embedding/lexical-vector.ts';
import { invalidArgument } from './memory-store-error.ts';
import { memoryPointId } from './point-id.ts';
import { requireEndUser, requireUserId } from './tenant-filter.ts';

export type MemoryRole = 'user' | 'assistant';

/** The kind field of a fact's payload; a turn has none. */
export const FACT_KIND = 'fact';

export interface MemoryPayload {
  user_id: string;
  /** The application's end user; absent on the account's own memories (see tenant-filter.ts). */
  end_user?: string;
  conversation_id: string | null;
  role: MemoryRole;
  text: string;
  /** Milliseconds since the epoch. */
  created_at: number;
  request_id: string;
  /** Index of this chunk within the turn (a long turn is split before embedding). */
  chunk: number;
  /** SHA-256 (hex) of `text`, to spot the same text written twice under different requests. */
  content_hash: string;
  /** "fact" for an extracted fact; absent on a raw turn. For a fact, `role` is the speaker and `request_id` the last source exchange's. */
  kind?: typeof FACT_KIND;
  /** Facts: the single-valued attribute the fact sets (e.g. "user.home_city"); a later fact with the same subject supersedes it. */
  subject?: string;
  /** Facts: the point ids of the turns the fact was extracted from. */
  source_ids?: string[];
  /** Facts: the id of the fact that replaced this one; recall skips it. */
  superseded_by?: string;
  /** Facts: when it was superseded (epoch milliseconds). */
  superseded_at?: number;
}

/** What makes a memory a fact (NewMemory.fact). */
export interface NewFact {
  /** Stable within the extraction batch: the fact's point id is derived from it and the batch id. */
  batchId: string;
  index: number;
  subject: string | undefined;
  sourceIds: readonly string[];
}

/** One chunk of one turn, with its embedding, as the write path hands it to the store. */
export interface NewMemory {
  userId: string;
  /** The application's end user; undefined (or absent) for the account's own memories. */
  endUser?: string | undefined;
  conversationId: string | null;
  role: MemoryRole;
  text: string;
  createdAt: number;
  requestId: string;
  chunk: number;
  vector: Float32Array | readonly number[];
  /** Present for a fact (its role is then the speaker); absent for a raw turn. */
  fact?: NewFact;
}

export interface PreparedPoint {
  id: string;
  vector: number[];
  /** The text's lexical vector (lexical-vector.ts); empty when it has no content words. */
  sparse: SparseVector;
  payload: MemoryPayload;
}

/** A set of unknown, so the check also holds for callers that are not type-checked. */
const ROLES: ReadonlySet<unknown> = new Set(['user', 'assistant']);

function check(condition: boolean, message: string): void {
  if (!condition) throw invalidArgument('upsert', message);
}

export function checkVector(vector: Float32Array | readonly number[], dimension: number, operation: string): number[] {
  if (vector.length !== dimension) {
    throw invalidArgument(
      operation,
      `${operation}: the vector has ${vector.length} dimensions but the collection holds ${dimension}-dimensional vectors.`,
    );
  }
  const out = Array.from(vector);
  if (!out.every(Number.isFinite)) throw invalidArgument(operation, `${operation}: the vector holds a NaN or infinite component.`);
  return out;
}

export function preparePoint(memory: NewMemory, dimension: number): PreparedPoint {
  const userId = requireUserId(memory.userId, 'upsert');
  const endUser = requireEndUser(memory.endUser, 'upsert');
  check(
    memory.conversationId === null || (typeof memory.conversationId === 'string' && memory.conversationId.length > 0),
    'upsert: conversationId must be null or a non-empty string.',
  );
  check(ROLES.has(memory.role), 'upsert: role must be "user" or "assistant".');
  check(typeof memory.text === 'string' && memory.text.length > 0, 'upsert: text must be a non-empty string.');
  check(
    Number.isSafeInteger(memory.createdAt) && memory.createdAt >= 0,
    'upsert: createdAt must be epoch milliseconds (a non-negative integer).',
  );
  check(typeof memory.requestId === 'string' && memory.requestId.length > 0, 'upsert: requestId must be a non-empty string.');
  check(Number.isSafeInteger(memory.chunk) && memory.chunk >= 0, 'upsert: chunk must be a non-negative integer.');
  const vector = checkVector(memory.vector, dimension, 'upsert');
  const fact = memory.fact;
  if (fact !== undefined) checkFact(fact);
  const payload: MemoryPayload = {
    user_id: userId,
    // Left out, not null, for the account's own scope: that is what `is_empty` matches.
    ...(endUser === undefined ? {} : { end_user: endUser }),
    conversation_id: memory.conversationId,
    role: memory.role,
    text: memory.text,
    created_at: memory.createdAt,
    request_id: memory.requestId,
    chunk: memory.chunk,
    content_hash: createHash('sha256').update(memory.text).digest('hex'),
    ...(fact === undefined
      ? {}
      : { kind: FACT_KIND, ...(fact.subject === undefined ? {} : { subject: fact.subject }), source_ids: [...fact.sourceIds] }),
  };
  // A fact's identity is its batch and its place in the extractor's answer, under the role
  // "fact", which no turn has: a retried batch replaces its facts, and no fact can land on a turn.
  const identity =
    fact === undefined
      ? { requestId: memory.requestId, role: memory.role, chunk: memory.chunk }
      : { requestId: `fact:${fact.batchId}`, role: FACT_KIND, chunk: fact.index };
  return {
    id: memoryPointId({ userId, endUser, ...identity }),
    vector,
    sparse: documentLexicalVector(memory.text),
    payload,
  };
}

function checkFact(fact: NewFact): void {
  check(typeof fact.batchId === 'string' && fact.batchId.length > 0, 'upsert: a fact needs a batch id.');
  check(Number.isSafeInteger(fact.index) && fact.index >= 0, 'upsert: a fact index must be a non-negative integer.');
  check(
    fact.subject === undefined || (typeof fact.subject === 'string' && fact.subject.length > 0),
    'upsert: a fact subject must be non-empty.',
  );
  check(Array.isArray(fact.sourceIds) && fact.sourceIds.every((id) => typeof id === 'string'), 'upsert: source ids must be strings.');
}

/** The payload a superseded fact is written back with. */
export function supersededPayload(payload: MemoryPayload, by: string, at: number): MemoryPayload {
  return { ...payload, superseded_by: by, superseded_at: at };
}

function isNullableString(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/** Absent or null (the account's own memory), or a non-empty string. */
function isEndUserField(value: unknown): value is string | null | undefined {
  return value === undefined || value === null || (typeof value === 'string' && value !== '');
}

/** A fact's own fields, read leniently: a missing optional one is left out, not a reason to skip the fact. */
function factFields(p: Record<string, unknown>): Partial<MemoryPayload> {
  const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';
  return {
    kind: FACT_KIND,
    source_ids: Array.isArray(p.source_ids) ? p.source_ids.filter((id): id is string => typeof id === 'string') : [],
    ...(nonEmpty(p.subject) ? { subject: p.subject } : {}),
    ...(nonEmpty(p.superseded_by) ? { superseded_by: p.superseded_by } : {}),
    ...(typeof p.superseded_at === 'number' ? { superseded_at: p.superseded_at } : {}),
  };
}

/** A turn (no kind) or a fact; any other kind is another tool's point. */
function isKind(value: unknown): boolean {
  return value === undefined || value === null || value === FACT_KIND;
}

/** The payload when it has every field with the right type, else undefined. */
export function parsePayload(raw: unknown): MemoryPayload | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const p = raw as Record<string, unknown>;
  const endUser = p.end_user;
  const ok =
    typeof p.user_id === 'string' &&
    isEndUserField(endUser) &&
    isNullableString(p.conversation_id) &&
    ROLES.has(p.role) &&
    typeof p.text === 'string' &&
    typeof p.created_at === 'number' &&
    typeof p.request_id === 'string' &&
    typeof p.chunk === 'number' &&
    typeof p.content_hash === 'string';
  if (!ok || !isKind(p.kind)) return undefined;
  return {
    user_id: p.user_id as string,
    ...(typeof endUser === 'string' ? { end_user: endUser } : {}),
    conversation_id: p.conversation_id as string | null,
    role: p.role as MemoryRole,
    text: p.text as string,
    created_at: p.created_at as number,
    request_id: p.request_id as string,
    chunk: p.chunk as number,
    content_hash: p.content_hash as string,
    ...(p.kind === FACT_KIND ? factFields(p) : {}),
  };
}
