// Fact extraction's own metrics, registered on the gateway's registry beside the rest. The
// failure reasons are a closed set (bounded labels); per-user figures are usage rows in PostgreSQL.
import { Counter, type Registry } from 'prom-client';

export const FAILURE_REASONS = ['garbage', 'timeout', 'upstream', 'no_key', 'store', 'embedding'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface FactMetrics {
  /** Batches the extractor turned into facts (possibly none). */
  batches: Counter;
  failures: Counter<'reason'>;
  facts: Counter;
  superseded: Counter;
  /** Exchanges refused because the queue was full (or closing). */
  dropped: Counter;
}

export function makeFactMetrics(registry: Registry): FactMetrics {
  const registers = [registry];
  const failures = new Counter({
    name: 'perpetual_memory_extraction_failures_total',
    help: 'Fact extraction batches that stored no facts, by reason (garbage answer, timeout, upstream error, no provider key, vector store, embedding). Raw turns are stored regardless.',
    labelNames: ['reason'],
    registers,
  });
  // Every reason shows as 0 from the start, so alerts on rate() see the series before the first failure.
  for (const reason of FAILURE_REASONS) failures.inc({ reason }, 0);
  return {
    batches: new Counter({
      name: 'perpetual_memory_extraction_batches_total',
      help: 'Fact extraction batches read successfully.',
      registers,
    }),
    failures,
    facts: new Counter({ name: 'perpetual_memory_facts_stored_total', help: 'Facts stored by write-time extraction.', registers }),
    superseded: new Counter({
      name: 'perpetual_memory_facts_superseded_total',
      help: 'Stored facts marked superseded by a later one (kept, no longer recalled).',
      registers,
    }),
    dropped: new Counter({
      name: 'perpetual_memory_extraction_dropped_total',
      help: 'Exchanges not sent to fact extraction because its queue was full or the gateway was shutting down.',
      registers,
    }),
  };
}
