// The tenant boundary, in one place. Qdrant has no row-level security: payload filtering is an
// application-layer control (research §1.12; Qdrant #8015 and #9032 ask for enforced filters and
// are still open). So every read, count, scroll and delete the store sends is built here, and it
// always starts with `must: [user_id == userId]`.
//
// Callers cannot pass a Qdrant filter at all. They may only narrow with the closed set of fields
// below, each of which becomes one more `must` condition ANDed after the tenant condition; there is
// no way to add a `should` (which could widen a match), a `must_not`, or to drop the first entry.
import type { Schemas } from '@qdrant/js-client-rest';
import { invalidArgument } from './memory-store-error.ts';

export type QdrantFilter = Schemas['Filter'];
type Condition = Schemas['Condition'];

/** Longest id the store accepts; ids are ours (UUIDs, slugs), so anything longer is a bug. */
const MAX_ID_LENGTH = 512;

export interface Narrowing {
  conversationId?: string;
  /** A canonical point id (see point-id.ts). */
  pointId?: string;
}

function requireId(value: unknown, what: string, operation: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw invalidArgument(operation, `${operation} needs a non-empty ${what} string; got ${value === '' ? 'an empty string' : typeof value}.`);
  }
  if (value.length > MAX_ID_LENGTH) throw invalidArgument(operation, `${operation}: ${what} is longer than ${MAX_ID_LENGTH} characters.`);
  return value;
}

/** Every store method that touches points calls this first, so a missing user id fails before any I/O. */
export function requireUserId(userId: unknown, operation: string): string {
  return requireId(userId, 'user id', operation);
}

export function requireConversationId(conversationId: unknown, operation: string): string {
  return requireId(conversationId, 'conversation id', operation);
}

export function tenantFilter(userId: string, operation: string, narrowing: Narrowing = {}): QdrantFilter {
  const must: Condition[] = [{ key: 'user_id', match: { value: requireUserId(userId, operation) } }];
  if (narrowing.conversationId !== undefined) {
    must.push({ key: 'conversation_id', match: { value: requireConversationId(narrowing.conversationId, operation) } });
  }
  if (narrowing.pointId !== undefined) must.push({ has_id: [narrowing.pointId] });
  return { must };
}
