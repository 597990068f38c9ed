// Write-time fact extraction as the memory service sees it: offer() an answered exchange and
// return at once. Exchanges of tiers that have extraction on wait in the bounded queue
// (fact-queue.ts), batched per scope and conversation, and go to the extractor
// (fact-extractor.ts) off the request path; what the queue refuses is counted in
// perpetual_memory_extraction_dropped_total.
import type { Logger } from 'pino';
import { FactExtractor, type FactExtractorDeps, type PendingExchange } from './fact-extractor.ts';
import { FactQueue } from './fact-queue.ts';
import type { FactExtractionSettings } from './fact-settings.ts';

/** Exchanges waiting or in flight at most; one exchange is a few kB. */
export const FACT_QUEUE_CAPACITY = 10_000;
/** Extractor calls at once, per gateway replica: extraction is background work and must not crowd the chats' upstream connections. */
export const FACT_CONCURRENCY = 2;

export interface FactPipelineDeps extends Omit<FactExtractorDeps, 'timeoutMs'> {
  settings: FactExtractionSettings;
  log: Logger;
}

/**
 * One batch per scope, conversation and API key (its usage row is one key's): JSON of an array,
 * so no two keys collide.
 */
export function batchKey(exchange: Pick<PendingExchange, 'userId' | 'endUser' | 'conversationId' | 'apiKeyId'>): string {
  return JSON.stringify([exchange.userId, exchange.endUser ?? null, exchange.conversationId ?? null, exchange.apiKeyId ?? null]);
}

export class FactPipeline {
  readonly #queue: FactQueue<PendingExchange>;
  readonly #deps: FactPipelineDeps;

  constructor(deps: FactPipelineDeps) {
    this.#deps = deps;
    const extractor = new FactExtractor({ ...deps, timeoutMs: deps.settings.timeoutMs });
    this.#queue = new FactQueue<PendingExchange>({
      batchSize: deps.settings.batchSize,
      flushIntervalMs: deps.settings.flushIntervalMs,
      capacity: FACT_QUEUE_CAPACITY,
      concurrency: FACT_CONCURRENCY,
      process: (batch) => extractor.run(batch),
      onError: (err) => {
        deps.log.error({ err: err instanceof Error ? err.message : String(err) }, 'Fact extraction batch failed unexpectedly');
      },
    });
  }

  /** Queues the exchange when its tier has extraction on; returns at once. */
  offer(exchange: PendingExchange, tier: string | undefined): void {
    const { enabled, tiers } = this.#deps.settings;
    if (!enabled || tier === undefined || !tiers.includes(tier)) return;
    if (!this.#queue.add(batchKey(exchange), exchange)) this.#deps.metrics.dropped.inc();
  }

  flush(timeoutMs?: number): Promise<boolean> {
    return this.#queue.flush(timeoutMs);
  }

  async close(timeoutMs: number): Promise<void> {
    const left = await this.#queue.close(timeoutMs);
    if (left > 0)
      this.#deps.log.warn({ exchanges: left }, 'Fact extraction unfinished at shutdown; those exchanges keep their raw turns only');
  }
}
