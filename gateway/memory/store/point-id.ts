// Point ids are deterministic UUIDs (version 5 layout, SHA-256 instead of SHA-1) of the memory's
// identity: user, request, role and chunk. Writing the same turn twice (a retried write after a
// lost response, a replica that drained the same queue item) therefore upserts the same points
// instead of duplicating them. The user id is part of the hash so that two users can never
// address the same point: a write on B's behalf cannot overwrite A's memory even when the request
// ids collide. The end user is part of it for the same reason; the account's own points hash
// exactly as before end users existed, so a retried write after an upgrade still lands on the
// same point. The request id is the gateway's own, one per request (middleware/request-id.ts):
// it used to be the caller's X-Request-Id, with which a replayed id overwrote the earlier turn's
// memory. Points stored under such ids keep them; the hash itself is unchanged.
import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Fixed namespace, so ids stay stable across releases (changing it would orphan every memory). */
const NAMESPACE = 'perpetual.ai/memory/v1';

export interface PointIdentity {
  userId: string;
  /** Undefined for the account's own memories. */
  endUser?: string | undefined;
  requestId: string;
  role: string;
  chunk: number;
}

export function memoryPointId(identity: PointIdentity): string {
  // JSON of an array is unambiguous where plain concatenation is not ("a"+"bc" vs "ab"+"c").
  // Arrays of different lengths never serialise alike, so the two forms cannot collide.
  const parts =
    identity.endUser === undefined
      ? [identity.userId, identity.requestId, identity.role, identity.chunk]
      : [identity.userId, identity.endUser, identity.requestId, identity.role, identity.chunk];
  const name = JSON.stringify(parts);
  const bytes = createHash('sha256').update(NAMESPACE).update('\0').update(name).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The canonical (lower-case, hyphenated) form of a memory id, or undefined when it cannot be one.
 * Qdrant answers a malformed id with a 400; a store caller asking about "abc" means "not found".
 * Only UUIDs qualify: the store never writes integer ids, so an integer cannot name a memory.
 */
export function canonicalPointId(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined;
  const lower = id.trim().toLowerCase();
  return UUID.test(lower) ? lower : undefined;
}
