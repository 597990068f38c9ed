// Perpetual memory on the request path: recall before the upstream call (embed the latest user
// turn, search the memories of this account's end user (or of the account itself when the request
// names no end user) by its vector and its words, inject the best that fit the budget) and
// remember after the response
// (the exchange, chunked, written in the background). Recall never fails a chat: past its deadline
// or on any error the chat goes on without memory, with a metric and a log line.
import { trace, type SpanContext } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { inSpan } from '../observability/tracing.ts';
import type { ChatMessage } from '../protocols/openai/types.ts';
import { BufferedSink } from '../usage/buffered-sink.ts';
import type { Embedder } from './embedding/embedder.ts';
import { injectMemoryBlock } from './prompt/inject-memories.ts';
import { formatMemoryBlock } from './prompt/memory-block.ts';
import { queryFromMessages } from './prompt/query-from-messages.ts';
import { selectMemories } from './prompt/select-memories.ts';
import type { MemoryHit } from './prompt/memory-hit.ts';
import type { FactPipeline } from './facts/fact-pipeline.ts';
import type { MemoryStore } from './store/memory-store.ts';
import { turnsToStore } from './text/turns-to-store.ts';
import { ChildSignal } from '../child-signal.ts';

export type RecallResult = 'hit' | 'empty' | 'timeout' | 'error' | 'disabled' | 'skipped';

export interface RecallRequest {
  userId: string;
  /** The application's end user (chat/end-user.ts); undefined for the account's own memories. */
  endUser: string | undefined;
  conversationId: string | undefined;
  messages: ChatMessage[];
  /** Per-request controls; undefined means the deployment's settings. */
  enabled: boolean | undefined;
  topK: number | undefined;
  /** Only this conversation's memories (x-perpetual-memory-scope: conversation). */
  conversationOnly: boolean;
  signal: AbortSignal;
}

export interface Recall {
  /** The messages to send upstream: the request's, with one memory block injected when any fit. */
  messages: ChatMessage[];
  /** That memory block, for a request sent upstream in another shape (the Responses pass-through); absent when none fit. */
  block?: string;
  memoryIds: string[];
  memoryTokens: number;
  /** Searches made: 0 when memory was off or there was nothing to search for. */
  calls: number;
  retrievalMs: number | null;
  result: RecallResult;
}

export interface RememberRequest {
  userId: string;
  /** Stored under this end user, so only the same end user recalls it. */
  endUser: string | undefined;
  conversationId: string | undefined;
  /** The gateway's own id for the request (never the caller's X-Request-Id): part of the point ids. */
  requestId: string;
  /** The API key the request came with (none for a user's session): what it costs later (fact extraction) is counted against it. */
  apiKeyId?: string | undefined;
  /** The request's messages as the client sent them (never the ones with memories injected). */
  messages: readonly ChatMessage[];
  responseText: string;
  /** The caller's tier: fact extraction may be on for some tiers only (facts/fact-settings.ts). */
  tier?: string;
}

export interface MemorySettings {
  enabled: boolean;
  /** Most memories injected; the token budget usually binds first. */
  topK: number;
  /** Most tokens the injected block may take. */
  tokenBudget: number;
  retrievalTimeoutMs: number;
  /** Hits below this cosine similarity are noise, not memories (the dense channel's threshold; see SearchOptions). */
  minScore: number;
}

/**
 * Hybrid recall's dense-channel threshold (cosine on the built-in embedder's scale): below it a
 * memory is noise to the dense channel, though the lexical channel may still bring it when it
 * shares a word. Low on purpose: the token budget and the fused ranking decide what is injected;
 * the threshold only keeps out what shares nothing at all. On the recall benchmark, lowering it
 * from 0.15 (the dense-only era's value) to 0.05 raised recall within the budget from 64 % to
 * 69 % for about 120 more prompt tokens per request (test/bench/memory-recall.ts).
 */
export const DENSE_MIN_SCORE = 0.05;

/**
 * Candidates fetched per recall, before de-duplication and the token budget pick what is
 * injected. Deeper than any default top-k because the budget, not a count, is what should stop
 * the filling (the default 1,000 tokens hold about 30 remembered turns), and because a fused
 * ranking is worth reading further down than a single one. On the recall benchmark
 * (test/bench/memory-recall.ts) recall within the budget rose from 60 % at 20 candidates to 69 %
 * at 50, and by one more point at 100 for a third more tokens.
 */
export const RECALL_CANDIDATES = 50;

/** How many candidates to fetch for a request's top-k (the store answers at most 100). */
export function candidateCount(topK: number): number {
  return Math.min(100, Math.max(RECALL_CANDIDATES, topK * 2));
}

export interface MemoryServiceDeps {
  store: MemoryStore;
  /** The embedder for a user (the provider source embeds with the user's own key). */
  embedderFor: (userId: string) => Promise<Embedder>;
  settings: MemorySettings;
  metrics: GatewayMetrics;
  log: Logger;
  /** Write-time fact extraction, when on (facts/fact-pipeline.ts). */
  facts?: FactPipeline;
  /**
   * Recall spends nothing but this gateway's CPU and one search (the built-in embedder: no provider
   * or ModelServer call), so it may start before the rate limit has decided (server.ts).
   */
  recallIsFree?: boolean;
}

interface PendingWrite extends RememberRequest {
  at: number;
  /** The request's span when it is traced: the write, done later in a batch, links to it. */
  tracedBy: SpanContext | undefined;
}

function unchanged(request: RecallRequest, result: RecallResult, calls = 0, retrievalMs: number | null = null): Recall {
  return { messages: request.messages, memoryIds: [], memoryTokens: 0, calls, retrievalMs, result };
}

export class MemoryService {
  private readonly deps: MemoryServiceDeps;
  private readonly writes: BufferedSink<PendingWrite>;

  constructor(deps: MemoryServiceDeps) {
    this.deps = deps;
    this.writes = new BufferedSink<PendingWrite>({
      name: 'memory-writes',
      logger: deps.log,
      maxBatchSize: 32,
      flushIntervalMs: 200,
      capacity: 20_000,
      write: (batch, signal) => this.store(batch, signal),
    });
  }

  get settings(): MemorySettings {
    return this.deps.settings;
  }

  get recallIsFree(): boolean {
    return this.deps.recallIsFree === true;
  }

  async recall(request: RecallRequest): Promise<Recall> {
    const { settings, metrics } = this.deps;
    if (!(request.enabled ?? settings.enabled)) return unchanged(request, 'disabled');
    const topK = request.topK ?? settings.topK;
    const query = queryFromMessages(request.messages);
    if (topK === 0 || query === '') return unchanged(request, 'skipped');
    const started = performance.now();
    const deadline = new ChildSignal(request.signal, settings.retrievalTimeoutMs);
    try {
      const hits = await this.search(request, query, { topK, signal: deadline.signal });
      const elapsed = performance.now() - started;
      const selection = selectMemories(hits, { tokenBudget: settings.tokenBudget, topK });
      const result: RecallResult = selection.memories.length > 0 ? 'hit' : 'empty';
      metrics.retrievals.inc({ result });
      metrics.retrievalDuration.observe(elapsed / 1000);
      const block = selection.memories.length > 0 ? formatMemoryBlock(selection.memories) : undefined;
      return {
        messages: block === undefined ? request.messages : injectMemoryBlock(request.messages, block),
        ...(block === undefined ? {} : { block }),
        memoryIds: selection.memories.map((m) => m.id),
        memoryTokens: selection.tokens,
        calls: 1,
        retrievalMs: Math.round(elapsed * 100) / 100,
        result,
      };
    } catch (err) {
      const elapsed = performance.now() - started;
      // Nobody waits for it any more (the client left, or the request was refused while it ran):
      // not a memory failure, so neither counted nor logged as one.
      if (request.signal.aborted) return unchanged(request, 'skipped', 1, Math.round(elapsed * 100) / 100);
      const result: RecallResult = deadline.expired ? 'timeout' : 'error';
      metrics.retrievals.inc({ result });
      metrics.retrievalDuration.observe(elapsed / 1000);
      this.deps.log.warn(
        { result, err: err instanceof Error ? err.message : String(err), ms: Math.round(elapsed) },
        'Memory retrieval skipped; answering without memory',
      );
      return unchanged(request, result, 1, Math.round(elapsed * 100) / 100);
    } finally {
      deadline.dispose();
    }
  }

  /** Queues the exchange for storage (and, when on for the tier, for fact extraction); returns at once. */
  remember(request: RememberRequest): void {
    if (!this.deps.settings.enabled || request.responseText.trim() === '') return;
    const span = trace.getActiveSpan();
    const at = Date.now();
    const { tier, ...exchange } = request;
    this.writes.add({ ...exchange, at, tracedBy: span?.isRecording() ? span.spanContext() : undefined });
    // Separately queued: whatever becomes of extraction, the raw turns above are written.
    this.deps.facts?.offer({ ...exchange, at }, tier);
  }

  /** Writes what is queued (used by tests and shutdown); with `facts`, also runs the fact extraction that waits. */
  async flush(timeoutMs = 5000, options: { facts?: boolean } = {}): Promise<boolean> {
    const written = await this.writes.flush({ timeoutMs });
    if (!options.facts || !this.deps.facts) return written;
    return (await this.deps.facts.flush(timeoutMs)) && written;
  }

  async close(timeoutMs: number): Promise<void> {
    const [result] = await Promise.all([this.writes.close({ timeoutMs }), this.deps.facts?.close(timeoutMs)]);
    if (result.unwritten.length > 0) this.deps.log.error({ unwritten: result.unwritten.length }, 'Memories not stored before shutdown');
  }

  private async search(
    request: RecallRequest,
    query: string,
    options: { topK: number; signal: AbortSignal },
  ): Promise<(MemoryHit & { id: string })[]> {
    const embedder = await this.deps.embedderFor(request.userId);
    const [vector] = await embedder.embed([query], { signal: options.signal });
    if (!vector) return [];
    // Hybrid: the vector and the words of the question, fused by rank (qdrant-memory-store.ts).
    // Ask for more than topK: duplicates and over-budget hits are dropped after the search.
    const hits = await this.deps.store.search({ userId: request.userId, endUser: request.endUser }, vector, {
      limit: candidateCount(options.topK),
      text: query,
      scoreThreshold: this.deps.settings.minScore,
      signal: options.signal,
      ...(request.conversationOnly && request.conversationId ? { conversationId: request.conversationId } : {}),
    });
    return hits.map((hit) => ({
      id: hit.id,
      score: hit.score,
      text: hit.payload.text,
      createdAt: hit.payload.created_at,
      role: hit.payload.role,
      contentHash: hit.payload.content_hash,
      ...(hit.payload.kind === 'fact' ? { kind: 'fact' as const } : {}),
    }));
  }

  private async store(batch: readonly PendingWrite[], signal: AbortSignal): Promise<void> {
    // Untraced writes of one user go together: one embedding call and one upsert for the whole
    // batch, so a busy gateway sends Qdrant a few writes a second rather than one per answered
    // request. Per user because the embedder is (a user's own provider key may embed).
    const byUser = new Map<string, PendingWrite[]>();
    for (const write of batch) {
      // A span of its own (the request has been answered), linked to the request that asked.
      if (write.tracedBy)
        await inSpan('memory.write', {}, () => this.storeWrites([write], signal), { root: true, links: [{ context: write.tracedBy }] });
      else byUser.set(write.userId, (byUser.get(write.userId) ?? []).concat(write));
    }
    for (const writes of byUser.values()) await this.storeWrites(writes, signal);
  }

  /** Writes of one user: their turns embedded in one call and stored in one upsert (idempotent: ids come from request ids). */
  private async storeWrites(writes: readonly PendingWrite[], signal: AbortSignal): Promise<void> {
    const turns = writes.flatMap((write) => turnsToStore(write.messages, write.responseText).map((record) => ({ write, record })));
    const first = writes[0];
    if (turns.length === 0 || !first) return;
    const embedder = await this.deps.embedderFor(first.userId);
    const vectors = await embedder.embed(
      turns.map((t) => t.record.text),
      { signal },
    );
    await this.deps.store.upsert(
      turns.map(({ write, record }, i) => ({
        userId: write.userId,
        endUser: write.endUser,
        conversationId: write.conversationId ?? null,
        role: record.role,
        text: record.text,
        createdAt: write.at,
        requestId: write.requestId,
        chunk: record.chunkIndex,
        vector: vectors[i] ?? new Float32Array(embedder.dimension),
      })),
      { signal },
    );
  }
}
