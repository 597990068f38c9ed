// What memory needs from a vector store: per-user long-term memories, written after a turn and
// searched before the next one. The one implementation is QdrantMemoryStore (qdrant-memory-store.ts).
//
// Tenant isolation is part of the interface: every method that touches points takes the scope as
// its first argument (the account and, within it, the end user; a bare account id is the
// account's own scope) and can only ever see, count or delete that scope's points. deleteUser is
// the one exception, by design: erasing an account erases every end user's memories too. There is
// no way to pass a raw filter. Only ensureCollection and health (which touch no points) go without.
import type { MemoryPayload, NewMemory } from './memory-payload.ts';
import type { CallOptions } from './qdrant-call.ts';
import type { ScopeRef } from './tenant-filter.ts';

export type { CallOptions } from './qdrant-call.ts';
export type { MemoryPayload, MemoryRole, NewFact, NewMemory } from './memory-payload.ts';
export type { MemoryScope, ScopeRef } from './tenant-filter.ts';

export interface MemoryHit {
  /** Canonical (lower-case, hyphenated) UUID. */
  id: string;
  /**
   * Higher is closer. Cosine similarity (1 is the same direction) for a dense search; Qdrant's
   * fused rank score for a hybrid one (RRF: the sum over both channels of 1 / (2 + rank)); the
   * IDF-weighted BM25 score for a lexical one.
   */
  score: number;
  payload: MemoryPayload;
}

export interface MemoryRecord {
  id: string;
  payload: MemoryPayload;
}

export interface MemoryPage {
  memories: MemoryRecord[];
  /** Pass as `offset` for the next page; null after the last page. */
  nextOffset: string | null;
}

/**
 * How a search ranks: `dense` by cosine similarity of the embedder's vectors; `lexical` by the
 * words it shares with the question, weighted by IDF (BM25); `hybrid` both, fused by rank.
 */
export type SearchMode = 'dense' | 'lexical' | 'hybrid';

/** How a hybrid search combines its two channels (Qdrant's fusion methods). */
export type Fusion = 'rrf' | 'dbsf';

export interface SearchOptions extends CallOptions {
  /** 1 to 100. */
  limit: number;
  /**
   * Only memories at least this close by cosine similarity (-1 to 1). In a hybrid search it
   * applies to the dense channel only (a lexical match needs no threshold: it shares a word);
   * a lexical search ignores it.
   */
  scoreThreshold?: number;
  /** Only this conversation's memories. */
  conversationId?: string;
  /** The question as text, for the lexical channel. Without it (or without content words in it) the search is dense. */
  text?: string;
  /** Default: hybrid when `text` is given, else dense. */
  mode?: SearchMode;
  /** Default: rrf (see qdrant-memory-store.ts for why). */
  fusion?: Fusion;
  /** RRF only: the lexical channel's weight against the dense one's 1 (Qdrant's weighted RRF). Default 1. */
  lexicalWeight?: number;
  /** Only facts (memory-payload.ts), not raw turns. Superseded facts are never returned by a search either way. */
  factsOnly?: boolean;
}

/** Facts to mark superseded, by which fact, when. */
export interface Supersede {
  ids: readonly string[];
  /** The replacing fact's id. */
  by: string;
  /** Epoch milliseconds. */
  at: number;
}

export interface FactLookup extends CallOptions {
  /** Facts about any of these subjects (memory-payload.ts). */
  subjects: readonly string[];
  /** 1 to 1000. */
  limit: number;
}

export interface ScrollOptions extends CallOptions {
  /** 1 to 1000. */
  limit: number;
  /** The `nextOffset` of the previous page. */
  offset?: string | null;
  conversationId?: string;
}

export interface CountOptions extends CallOptions {
  conversationId?: string;
}

export interface MemoryStore {
  /** The Qdrant collection this store reads and writes (named after the embedding space). */
  readonly collection: string;
  /** Length of every vector the store accepts. */
  readonly dimension: number;

  /** Creates the collection and payload indexes when missing; refuses a collection of another dimension. */
  ensureCollection(options?: CallOptions): Promise<void>;
  /** A cheap authenticated call: resolves when Qdrant answers and the collection exists, else throws MemoryStoreError. */
  health(options?: CallOptions): Promise<void>;

  /** Idempotent: writing the same (user, end user, request, role, chunk) again replaces the point. Returns the ids in input order. */
  upsert(memories: readonly NewMemory[], options?: CallOptions): Promise<string[]>;
  /**
   * The scope's closest memories, best first: by the vector, and by the question's words when
   * `options.text` is given. Facts a later fact superseded are left out: they are history, not memory.
   */
  search(scope: ScopeRef, vector: Float32Array | readonly number[], options: SearchOptions): Promise<MemoryHit[]>;
  /**
   * True when the point existed and belonged to the scope; false for unknown, malformed or other scopes' ids.
   * The scope's facts extracted from that turn (its id among their `source_ids`) are deleted with it.
   */
  deleteById(scope: ScopeRef, id: string, options?: CallOptions): Promise<boolean>;
  /** Deletes the scope's memories of one conversation; returns how many there were. */
  deleteConversation(scope: ScopeRef, conversationId: string, options?: CallOptions): Promise<number>;
  /** Deletes every memory of one scope (one end user, or the account's own); returns how many there were. */
  deleteScope(scope: ScopeRef, options?: CallOptions): Promise<number>;
  /** Deletes every memory of the account, of every end user (account erasure); returns how many there were. */
  deleteUser(userId: string, options?: CallOptions): Promise<number>;
  /** The scope's facts about these subjects that no later fact superseded. */
  activeFacts(scope: ScopeRef, options: FactLookup): Promise<MemoryRecord[]>;
  /**
   * Marks the scope's facts with these ids superseded by the fact `by` (kept, never deleted);
   * ids of other scopes, of turns or of facts already superseded are left alone. Returns the ids marked.
   */
  supersede(scope: ScopeRef, marking: Supersede, options?: CallOptions): Promise<string[]>;
  /** Exact count of the scope's memories (optionally of one conversation). */
  count(scope: ScopeRef, options?: CountOptions): Promise<number>;
  /** The scope's memories one page at a time, in point-id order (stable, not chronological). */
  scroll(scope: ScopeRef, options: ScrollOptions): Promise<MemoryPage>;
}
