// Spend that comes after an answer with no reservation before it: fact extraction's
// `memory.extract` calls, made for a user's turns once they were answered. Their cost goes into the
// same Redis counters as an answer's, through the same settle (RateLimiter.settleBudgets), so a
// budget it takes past its limit refuses the next request; nothing is checked before it, the
// answer it follows was. The caller's Principal, and with it which budgets are in force, is gone
// by then, so every window of the user, and of the key when the row names one, is offered: the
// settle adds only to counters that exist. A budget not in force has none; a counter not built yet
// is built from usage_logs when a check first needs it, and the row is there by then.
import type { BudgetCounterLimit, BudgetReservation } from '../ratelimit/result.ts';
import type { BudgetOwner } from './limits.ts';
import { BUDGET_WINDOWS, budgetSpanAt } from './windows.ts';

/** Who spent, and when (a usage row satisfies it). */
export interface UnreservedSpend {
  userId: string;
  apiKeyId?: string | null;
  timestamp: Date;
}

/**
 * A reservation of nothing on every counter the spend belongs to, in the windows of its time. The
 * limits are not known here: no soft threshold (0) is reported by this settle, and the next
 * answer's settle reports a crossing (the script compares the spend with the threshold, not the step).
 */
export function unreservedCounters(spend: UnreservedSpend): BudgetReservation {
  const at = spend.timestamp.getTime();
  const owners: { owner: BudgetOwner; keyId?: string }[] = [
    { owner: 'user' },
    ...(spend.apiKeyId ? [{ owner: 'key' as const, keyId: spend.apiKeyId }] : []),
  ];
  const counters: BudgetCounterLimit[] = owners.flatMap(({ owner, keyId }) =>
    BUDGET_WINDOWS.map((window) => ({
      counter: { userId: spend.userId, owner, ...(keyId === undefined ? {} : { keyId }), window, span: budgetSpanAt(at, window) },
      limitMicros: 0,
      softMicros: 0,
    })),
  );
  return { micros: 0, counters };
}
