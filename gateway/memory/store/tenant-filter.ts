// The tenant boundary, in one place. Qdrant has no row-level security: payload filtering is an
// application-layer control (research §1.12; Qdrant #8015 and #9032 ask for enforced filters and
// are still open). So every read, count, scroll and delete the store sends is built here, and it
// always starts with `must: [user_id == userId]`.
//
// Within an account, memory has two levels (DESIGN.md "Tenancy"): the end users the application
// names, and the account's own scope when it names none. scopeFilter adds the second condition
// right after the tenant one: `end_user == <id>` for an end user, `is_empty(end_user)` for the
// account's own scope. The account's own points carry no `end_user` field at all, which is also
// how points written before end users existed look, so they stay the account's; a real end user
// is a non-empty string and can never be "empty". Only erasure of a whole account goes without
// the second condition (tenantFilter).
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

/** The payload field naming the end user; absent on the account's own points. */
export const END_USER_FIELD = 'end_user';

/** Whose memories, within an account. */
export interface MemoryScope {
  /** The account: the API key's owner. */
  userId: string;
  /** The application's end user; undefined for the account's own memories. */
  endUser: string | undefined;
}

/** A scope, or a bare account id, which names the account's own scope. */
export type ScopeRef = MemoryScope | string;

/** Takes unknown: callers that are not type-checked may pass null or undefined. */
function isScope(ref: unknown): ref is MemoryScope {
  return typeof ref === 'object' && ref !== null;
}

export function scopeOf(ref: ScopeRef): MemoryScope {
  // Anything but a scope object is taken as an account id, to be refused by requireUserId when it is not one.
  return isScope(ref) ? ref : { userId: ref, endUser: undefined };
}

export interface Narrowing {
  conversationId?: string;
  /** A canonical point id (see point-id.ts). */
  pointId?: string;
  /** Any of these canonical point ids. */
  pointIds?: readonly string[];
  /** Only facts (memory-payload.ts); a turn has no kind. */
  factsOnly?: boolean;
  /** Only facts about one of these subjects. */
  subjects?: readonly string[];
  /** Only facts extracted from this turn (a canonical point id among their `source_ids`). */
  sourceId?: string;
  /** Only memories no later fact superseded: what recall may see. */
  activeOnly?: boolean;
}

/** The payload field a superseded fact carries (memory-payload.ts). */
export const SUPERSEDED_FIELD = 'superseded_by';

/** The payload field listing the turns a fact was extracted from (memory-payload.ts). */
export const SOURCE_IDS_FIELD = 'source_ids';

function requireId(value: unknown, what: string, operation: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw invalidArgument(
      operation,
      `${operation} needs a non-empty ${what} string; got ${value === '' ? 'an empty string' : typeof value}.`,
    );
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

/** An end user, when there is one; undefined stays undefined (the account's own scope). */
export function requireEndUser(endUser: unknown, operation: string): string | undefined {
  return endUser === undefined ? undefined : requireId(endUser, 'end user', operation);
}

function narrowed(head: Condition[], operation: string, narrowing: Narrowing): QdrantFilter {
  const must = [...head];
  if (narrowing.conversationId !== undefined) {
    must.push({ key: 'conversation_id', match: { value: requireConversationId(narrowing.conversationId, operation) } });
  }
  if (narrowing.pointId !== undefined) must.push({ has_id: [narrowing.pointId] });
  if (narrowing.pointIds !== undefined) must.push({ has_id: [...narrowing.pointIds] });
  if (narrowing.factsOnly === true) must.push({ key: 'kind', match: { value: 'fact' } });
  if (narrowing.subjects !== undefined) must.push({ key: 'subject', match: { any: [...narrowing.subjects] } });
  // On a list field, `match.value` holds when any element equals it.
  if (narrowing.sourceId !== undefined) must.push({ key: SOURCE_IDS_FIELD, match: { value: narrowing.sourceId } });
  // A `must` on emptiness rather than a `must_not` on presence: the rule above (narrowing only ever ANDs) stays true.
  if (narrowing.activeOnly === true) must.push({ is_empty: { key: SUPERSEDED_FIELD } });
  return { must };
}

function tenantCondition(userId: string, operation: string): Condition {
  return { key: 'user_id', match: { value: requireUserId(userId, operation) } };
}

/** Every point of the account, of every end user: only for erasing a whole account. */
export function tenantFilter(userId: string, operation: string, narrowing: Narrowing = {}): QdrantFilter {
  return narrowed([tenantCondition(userId, operation)], operation, narrowing);
}

/** The points of one scope: one end user's, or the account's own. Every other read and delete uses this. */
export function scopeFilter(ref: ScopeRef, operation: string, narrowing: Narrowing = {}): QdrantFilter {
  const scope = scopeOf(ref);
  const tenant = tenantCondition(scope.userId, operation);
  const endUser = requireEndUser(scope.endUser, operation);
  const who: Condition = endUser === undefined ? { is_empty: { key: END_USER_FIELD } } : { key: END_USER_FIELD, match: { value: endUser } };
  return narrowed([tenant, who], operation, narrowing);
}
