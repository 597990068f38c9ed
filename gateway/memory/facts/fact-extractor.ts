// One extraction batch, start to end: the exchanges of one user's scope and conversation, the
// facts that user already has that they might update, one call to the extractor model, the
// answer parsed, the new facts embedded and stored beside the raw turns (same collection, same
// tenant fields, `kind: "fact"`, the ids of their source turns), and older facts they replace
// marked superseded. The model call is logged as a usage row of its own (endpoint
// `memory.extract`) on the same account, whether or not its answer was usable: its tokens were spent.
//
// Every failure ends the batch and is counted by reason; none touches the raw turns, which the
// memory service writes through its own queue whatever happens here.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { GatewayError } from '../../errors.ts';
import type { ChatMessage } from '../../protocols/openai/types.ts';
import { storableUsage, type UsageRecord } from '../../usage/usage-record.ts';
import type { Embedder } from '../embedding/embedder.ts';
import type { MemoryRecord, MemoryScope, MemoryStore, NewMemory } from '../store/memory-store.ts';
import { memoryPointId } from '../store/point-id.ts';
import { contentHash } from '../text/content-hash.ts';
import { contentText } from '../text/message-text.ts';
import { turnsToStore } from '../text/turns-to-store.ts';
import { extractionMessages, type ExtractionExchange } from './extraction-prompt.ts';
import type { FactMetrics, FailureReason } from './fact-metrics.ts';
import { parseExtraction, type ParsedFact } from './parse-extraction.ts';
import { decideSupersessions, type StoredFact } from './supersede.ts';
import { ChildSignal } from '../../child-signal.ts';

/** The endpoint usage rows of extraction calls carry (usage_logs.endpoint). */
export const EXTRACTION_ENDPOINT = 'memory.extract';

/** Known facts shown to the extractor per batch: enough for the ones the batch may update, few enough to keep the prompt small. */
export const KNOWN_FACTS_SHOWN = 20;

/** One remembered exchange waiting for extraction. */
export interface PendingExchange {
  userId: string;
  endUser: string | undefined;
  conversationId: string | undefined;
  /** The gateway's id of the request: the raw turns' point ids derive from it. */
  requestId: string;
  /** The API key it came with: the extraction's usage row is counted against it (per-key usage and budgets). */
  apiKeyId?: string | undefined;
  /** When it was answered (epoch milliseconds). */
  at: number;
  messages: readonly ChatMessage[];
  responseText: string;
}

/** What one extractor call answered and cost. */
export interface ExtractorAnswer {
  text: string;
  /** The model name as configured (usage_logs.model). */
  model: string;
  /** Who served it: the provider name, or "local" for a ModelServer. */
  provider: string;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costUsd: number;
  usageEstimated: boolean;
}

/** Calls the extractor model for a user (with that account's key where it needs one). */
export type CompleteFn = (userId: string, messages: ChatMessage[], signal: AbortSignal) => Promise<ExtractorAnswer>;

export interface FactExtractorDeps {
  store: MemoryStore;
  embedderFor: (userId: string) => Promise<Embedder>;
  complete: CompleteFn;
  /** Buffers a usage row (the accounting's usage log). */
  recordUsage: (row: UsageRecord) => void;
  metrics: FactMetrics;
  log: Logger;
  /** Deadline of the extractor call. */
  timeoutMs: number;
  now?: () => number;
}

class ExtractionFailure extends Error {
  readonly reason: FailureReason;
  constructor(reason: FailureReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs `work`, turning any error into an ExtractionFailure of `reason`. */
async function step<T>(reason: FailureReason, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof ExtractionFailure ? err : new ExtractionFailure(reason, errorText(err));
  }
}

function lastUserText(messages: readonly ChatMessage[]): string {
  const last = messages.at(-1);
  return last?.role === 'user' ? contentText(last.content) : '';
}

/** The point ids the write path gives this exchange's turns (memory-service.ts stores them with the same identity). */
export function sourceTurnIds(exchange: PendingExchange): string[] {
  return turnsToStore(exchange.messages, exchange.responseText).map((record) =>
    memoryPointId({
      userId: exchange.userId,
      endUser: exchange.endUser,
      requestId: exchange.requestId,
      role: record.role,
      chunk: record.chunkIndex,
    }),
  );
}

/** The usage row of one extractor call. */
export function extractionUsage(
  batch: readonly PendingExchange[],
  answer: ExtractorAnswer,
  timing: { at: Date; latencyMs: number },
): UsageRecord {
  const first = batch[0];
  return storableUsage({
    requestId: `memx_${randomUUID()}`,
    clientRequestId: null,
    userId: first?.userId ?? '',
    // One key per batch (fact-pipeline.ts batchKey), so the whole call is that key's.
    apiKeyId: first?.apiKeyId ?? null,
    conversationId: first?.conversationId ?? null,
    timestamp: timing.at,
    inputTokens: answer.inputTokens,
    cachedInputTokens: answer.cachedInputTokens,
    outputTokens: answer.outputTokens,
    totalTokens: answer.inputTokens + answer.outputTokens,
    memoryTokens: 0,
    retrievalCalls: 0,
    retrievalLatencyMs: null,
    costUsd: answer.costUsd,
    model: answer.model,
    provider: answer.provider,
    endpoint: EXTRACTION_ENDPOINT,
    statusCode: 200,
    latencyMs: Math.round(timing.latencyMs * 100) / 100,
    usageEstimated: answer.usageEstimated,
  });
}

function storedFact(record: MemoryRecord): StoredFact {
  return { id: record.id, subject: record.payload.subject, at: record.payload.created_at };
}

export class FactExtractor {
  readonly #deps: FactExtractorDeps;

  constructor(deps: FactExtractorDeps) {
    this.#deps = deps;
  }

  /** Extracts and stores one batch (one scope, one conversation). Never throws: failures are counted and logged. */
  async run(batch: readonly PendingExchange[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      const stored = await this.#extract(batch);
      this.#deps.metrics.batches.inc();
      this.#deps.metrics.facts.inc(stored.facts);
      this.#deps.metrics.superseded.inc(stored.superseded);
    } catch (err) {
      const reason = err instanceof ExtractionFailure ? err.reason : 'store';
      this.#deps.metrics.failures.inc({ reason });
      this.#deps.log.warn(
        { reason, exchanges: batch.length, err: errorText(err) },
        'Fact extraction failed for a batch; its raw turns are stored as usual',
      );
    }
  }

  async #extract(batch: readonly PendingExchange[]): Promise<{ facts: number; superseded: number }> {
    const deps = this.#deps;
    const now = deps.now ?? Date.now;
    const head = batch[0] as PendingExchange;
    const scope: MemoryScope = { userId: head.userId, endUser: head.endUser };
    const exchanges: ExtractionExchange[] = batch.map((e) => ({ at: e.at, user: lastUserText(e.messages), assistant: e.responseText }));
    const embedder = await step('embedding', () => deps.embedderFor(scope.userId));
    const known = await this.#knownFacts(scope, embedder, exchanges);

    const started = performance.now();
    const deadline = new ChildSignal(undefined, deps.timeoutMs);
    const answer = await deps
      .complete(scope.userId, extractionMessages(exchanges, known.map(toKnown)), deadline.signal)
      .finally(() => {
        deadline.dispose();
      })
      .catch((err: unknown) => {
        const reason: FailureReason = deadline.expired
          ? 'timeout'
          : err instanceof GatewayError && err.code === 'provider_key_missing'
            ? 'no_key'
            : 'upstream';
        throw new ExtractionFailure(reason, errorText(err));
      });
    deps.recordUsage(extractionUsage(batch, answer, { at: new Date(), latencyMs: performance.now() - started }));

    const parsed = parseExtraction(answer.text, { exchanges: batch.length, known: known.length });
    if (!parsed.ok) throw new ExtractionFailure('garbage', parsed.reason);
    if (parsed.facts.length === 0) return { facts: 0, superseded: 0 };

    const vectors = await step('embedding', () =>
      embedder.embed(
        parsed.facts.map((f) => f.text),
        {},
      ),
    );
    const batchId = contentHash(batch.map((e) => `${e.requestId}\n`).join(''));
    const memories = parsed.facts.map((fact, index) =>
      newFact(batch, fact, { batchId, index }, vectors[index] ?? new Float32Array(embedder.dimension)),
    );
    const ids = await step('store', () => deps.store.upsert(memories));

    const superseded = await step('store', () => this.#supersede(scope, { facts: parsed.facts, memories, ids }, known, now()));
    return { facts: ids.length, superseded };
  }

  /** The scope's current facts closest to what the batch's user turns say: the ones it may update. */
  async #knownFacts(scope: MemoryScope, embedder: Embedder, exchanges: readonly ExtractionExchange[]): Promise<MemoryRecord[]> {
    const text = exchanges
      .map((e) => e.user)
      .join('\n')
      .slice(0, 8000);
    if (text.trim() === '') return [];
    const [vector] = await step('embedding', () => embedder.embed([text], {}));
    if (vector === undefined) return [];
    return step('store', () => this.#deps.store.search(scope, vector, { limit: KNOWN_FACTS_SHOWN, text, factsOnly: true }));
  }

  async #supersede(
    scope: MemoryScope,
    written: { facts: readonly ParsedFact[]; memories: readonly NewMemory[]; ids: readonly string[] },
    known: readonly MemoryRecord[],
    at: number,
  ): Promise<number> {
    const { facts, memories, ids } = written;
    const fresh = new Set(ids);
    const subjects = [...new Set(facts.map((f) => f.subject).filter((s): s is string => s !== undefined))];
    const sameSubject = subjects.length === 0 ? [] : await this.#deps.store.activeFacts(scope, { subjects, limit: 1000 });
    const stored = new Map<string, StoredFact>();
    for (const record of [...known, ...sameSubject]) if (!fresh.has(record.id)) stored.set(record.id, storedFact(record));
    const incoming = facts.map((fact, i) => ({
      id: ids[i] ?? '',
      subject: fact.subject,
      at: memories[i]?.createdAt ?? at,
      supersedes: fact.supersedes.map((k) => known[k]?.id).filter((id): id is string => id !== undefined),
    }));
    const decisions = decideSupersessions(incoming, [...stored.values()]);
    const byReplacement = new Map<string, string[]>();
    for (const { id, by } of decisions) byReplacement.set(by, [...(byReplacement.get(by) ?? []), id]);
    let marked = 0;
    for (const [by, replaced] of byReplacement) marked += (await this.#deps.store.supersede(scope, { ids: replaced, by, at })).length;
    return marked;
  }
}

function toKnown(record: MemoryRecord): { text: string; subject: string | undefined; at: number } {
  return { text: record.payload.text, subject: record.payload.subject, at: record.payload.created_at };
}

/** A parsed fact as the store writes it: in the batch's scope and conversation, dated by its latest source exchange. */
function newFact(
  batch: readonly PendingExchange[],
  fact: ParsedFact,
  place: { batchId: string; index: number },
  vector: Float32Array,
): NewMemory {
  const { batchId, index } = place;
  const sources = fact.exchanges.map((i) => batch[i]).filter((e): e is PendingExchange => e !== undefined);
  const latest = sources.reduce((a, b) => (b.at > a.at ? b : a), sources[0] ?? (batch[0] as PendingExchange));
  return {
    userId: latest.userId,
    endUser: latest.endUser,
    conversationId: latest.conversationId ?? null,
    role: fact.speaker,
    text: fact.text,
    createdAt: latest.at,
    requestId: latest.requestId,
    chunk: 0,
    vector,
    fact: { batchId, index, subject: fact.subject, sourceIds: sources.flatMap(sourceTurnIds) },
  };
}
