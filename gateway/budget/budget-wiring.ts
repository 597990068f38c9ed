// The money budgets' parts, wired for deps.ts: the database's record of spend that rebuilds a lost
// Redis counter, the reservations held between the check and the answer, and what happens when a
// budget's soft threshold is crossed. The hard stop is the rate-limit check itself (one script).
//
// The soft threshold has no billing event to reuse (the Polar integration sends usage events, one
// per request, not alerts), so crossing it emits, exactly once per budget, window and limit across
// every replica: a warning log line, perpetual_budget_events_total{event="soft_limit"}, and an
// audit_log row (action budget.soft_limit_reached, actor "gateway") that GET /admin/audit lists.
import type { Logger } from 'pino';
import type pg from 'pg';
import { insertAudit } from '../db/audit-log.ts';
import { lifetimeSpend, spentSince } from '../db/limit-overrides.ts';
import type { Principal } from '../middleware/authenticate.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { RateLimiter, SoftCrossing } from '../ratelimit/rate-limiter.ts';
import type { BudgetCounter } from './keys.ts';
import { budgetParam, usd } from './budget-error.ts';
import { PendingSpend } from './pending-spend.ts';
import { fromMicros, toMicros } from './windows.ts';

/** The spend a lost counter is rebuilt with: usage_logs since the window's start, or the user's lifetime total. */
export function spendFromDatabase(pool: pg.Pool): (counter: BudgetCounter) => Promise<number> {
  return async (counter) => {
    const target = { userId: counter.userId, ...(counter.owner === 'key' && counter.keyId ? { keyId: counter.keyId } : {}) };
    const usdSpent =
      counter.window === 'lifetime' && counter.owner === 'user'
        ? await lifetimeSpend(pool, counter.userId)
        : await spentSince(pool, target, new Date(counter.span.start * 1000));
    return toMicros(usdSpent);
  };
}

export function createBudgetSpend(options: {
  limiter: RateLimiter;
  pool: pg.Pool;
  metrics: GatewayMetrics;
  log: Logger;
}): PendingSpend<Principal> {
  const { pool, log, metrics } = options;
  const softLimit = (principal: Principal, { budget, spentMicros }: SoftCrossing): void => {
    const { counter } = budget;
    metrics.budgetEvents.inc({ event: 'soft_limit', window: counter.window });
    const details = {
      budget: budgetParam(counter),
      window: counter.window,
      window_start: new Date(counter.span.start * 1000).toISOString(),
      limit_usd: fromMicros(budget.limitMicros),
      soft_limit_usd: fromMicros(budget.softMicros),
      spent_usd: fromMicros(spentMicros),
    };
    log.warn(
      { userId: principal.userId, keyId: counter.keyId, ...details },
      `Budget soft limit reached: ${details.budget} has spent ${usd(details.spent_usd)} of ${usd(details.limit_usd)}`,
    );
    insertAudit(pool, {
      actor: 'gateway',
      action: 'budget.soft_limit_reached',
      targetUser: principal.userId,
      target: counter.keyId ?? null,
      details,
    }).catch((err: unknown) => {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'Could not record a budget soft-limit event in audit_log');
    });
  };
  return new PendingSpend<Principal>({
    settler: options.limiter,
    onSoftLimit: softLimit,
    onFailure: () => {
      metrics.dependencyDegraded.inc({ dependency: 'redis' });
    },
  });
}
