// Where accounted requests go: the usage log (batched into usage_logs), Polar when configured,
// and the usage gauges. close() drains both sinks within the shutdown deadline and writes
// whatever could not be stored to the log, so it can be replayed.
import type { Logger } from 'pino';
import type pg from 'pg';
import { createPolarBilling } from '../billing/polar.ts';
import type { GatewayConfig } from '../config.ts';
import { insertUsageBatch } from '../db/usage-logs.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { PriceTable } from '../usage/pricing.ts';
import { createUsageLog, logUnwrittenUsage } from '../usage/usage-log.ts';
import type { UsageRecord } from '../usage/usage-record.ts';
import { makeAccounting, type Accounting, type AccountingDeps } from './accounting.ts';

export interface AccountingWiring {
  accounting: Accounting;
  /**
   * Buffers a usage row written outside a request (fact extraction's `memory.extract` calls) and
   * adds its cost to the budgets (Accounting.unreserved).
   */
  record(row: UsageRecord): void;
  close(timeoutMs: number): Promise<void>;
}

export function createAccounting(options: {
  config: GatewayConfig;
  pool: pg.Pool;
  metrics: GatewayMetrics;
  log: Logger;
  /** Settles token reservations (ratelimit/reservations.ts). */
  settleTokens?: AccountingDeps['settleTokens'];
  /** Settles money reservations (budget/). */
  settleCost?: AccountingDeps['settleCost'];
  /** Adds the cost of rows nothing was reserved for (budget/unreserved-spend.ts). */
  chargeCost?: AccountingDeps['chargeCost'];
}): AccountingWiring {
  const { config, metrics, log } = options;
  const usageLog = createUsageLog({
    insert: async (rows) => {
      await insertUsageBatch(options.pool, rows);
    },
    logger: log,
  });
  const billing = createPolarBilling(config.polar, { logger: log });
  const prices = new PriceTable(config.models);
  let droppedSeen = 0;
  const record = (row: UsageRecord): void => {
    usageLog.add(row);
    billing?.record(row);
    const stats = usageLog.stats();
    metrics.usagePending.set(stats.pending);
    if (stats.dropped > droppedSeen) metrics.usageDropped.inc(stats.dropped - droppedSeen);
    droppedSeen = stats.dropped;
  };
  const accounting = makeAccounting({
    metrics,
    knownModels: new Set(config.models.map((m) => m.name)),
    cost: (model, tokens) =>
      prices.costUsd({
        model,
        inputTokens: tokens.input,
        outputTokens: tokens.output,
        cachedInputTokens: tokens.cachedInput ?? 0,
        cacheWriteTokens: tokens.cacheWrite ?? 0,
      }).usd,
    record,
    prefix: config.prefix,
    ...(options.settleTokens ? { settleTokens: options.settleTokens } : {}),
    ...(options.settleCost ? { settleCost: options.settleCost } : {}),
    ...(options.chargeCost ? { chargeCost: options.chargeCost } : {}),
  });
  return {
    accounting,
    record: (row) => {
      accounting.unreserved(row);
    },
    close: async (timeoutMs) => {
      const [usage] = await Promise.all([usageLog.close({ timeoutMs }), billing?.close({ timeoutMs })]);
      if (usage.unwritten.length > 0) logUnwrittenUsage(log, usage.unwritten);
      metrics.usagePending.set(0);
    },
  };
}
