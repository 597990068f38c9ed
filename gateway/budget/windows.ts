// Money budget windows: a UTC day, a calendar month in UTC, and the whole lifetime of the account
// (a prepaid balance). Like the rate-limit windows they are derived from each replica's own clock
// with no coordination, so every replica names the same Redis counter; unlike them a month has no
// fixed length, so its bounds come from the calendar rather than from division.

export type BudgetWindow = 'day' | 'month' | 'lifetime';

export const BUDGET_WINDOWS: readonly BudgetWindow[] = ['day', 'month', 'lifetime'];

/** One window instance in epoch seconds: [start, reset); a lifetime starts at 0 and never resets. */
export interface BudgetSpan {
  start: number;
  reset: number | null;
}

/** The window containing `nowMs`: 00:00 UTC to the next 00:00 UTC, or the 1st 00:00 UTC to the next month's 1st. */
export function budgetSpanAt(nowMs: number, window: BudgetWindow): BudgetSpan {
  if (window === 'lifetime') return { start: 0, reset: null };
  const now = new Date(nowMs);
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  if (window === 'day') {
    const day = now.getUTCDate();
    return { start: Date.UTC(year, month, day) / 1000, reset: Date.UTC(year, month, day + 1) / 1000 };
  }
  // Date.UTC rolls month 12 over to January of the next year.
  return { start: Date.UTC(year, month, 1) / 1000, reset: Date.UTC(year, month + 1, 1) / 1000 };
}

/**
 * Budgets are counted in Redis as integer micro-dollars: INCRBY is exact where INCRBYFLOAT would
 * drift, and a micro-dollar is far below anything a request is billed in.
 */
const MICROS_PER_USD = 1_000_000;

export function toMicros(usd: number): number {
  return Number.isFinite(usd) ? Math.round(usd * MICROS_PER_USD) : 0;
}

export function fromMicros(micros: number): number {
  return micros / MICROS_PER_USD;
}
