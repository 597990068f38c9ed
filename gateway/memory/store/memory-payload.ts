// What one memory point carries besides its vector, exactly as stored in Qdrant (snake_case, so
// that what operators see in the Qdrant UI is what the code reads), and the checks on the way in
// and out. Reads re-validate every payload: a point written by another tool or an older release
// is skipped instead of reaching the prompt with missing fields.
import { createHash } from 'node:crypto';
import { documentLexicalVector, type SparseVector } from '../embedding/lexical-vector.ts';
import { invalidArgument } from './memory-store-error.ts';
import { memoryPointId } from './point-id.ts';
import { requireEndUser, requireUserId } from './tenant-filter.ts';

export type MemoryRole = 'user' | 'assistant';

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
  };
  return {
    id: memoryPointId({ userId, endUser, requestId: memory.requestId, role: memory.role, chunk: memory.chunk }),
    vector,
    sparse: documentLexicalVector(memory.text),
    payload,
  };
}

function isNullableString(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/** Absent or null (the account's own memory), or a non-empty string. */
function isEndUserField(value: unknown): value is string | null | undefined {
  return value === undefined || value === null || (typeof value === 'string' && value !== '');
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
    (p.role === 'user' || p.role === 'assistant') &&
    typeof p.text === 'string' &&
    typeof p.created_at === 'number' &&
    typeof p.request_id === 'string' &&
    typeof p.chunk === 'number' &&
    typeof p.content_hash === 'string';
  if (!ok) return undefined;
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
  };
}
