// Redis keys of the money budgets. Every key carries the user's id as its hash tag, the same tag
// as the user's rate-limit counters (ratelimit/windows.ts), so one script can read and reserve a
// key's request, token and money counters and its user's budgets in one Redis Cluster slot.
import type { BudgetOwner } from './limits.ts';
import type { BudgetSpan, BudgetWindow } from './windows.ts';

export interface BudgetCounter {
  userId: string;
  owner: BudgetOwner;
  /** The API key, for a key's budget. */
  keyId?: string;
  window: BudgetWindow;
  span: BudgetSpan;
}

function whose(counter: BudgetCounter): string {
  return counter.owner === 'user' ? 'user' : `key:${counter.keyId ?? ''}`;
}

/** The spend so far in one window, in micro-dollars. */
export function budgetCounterKey(prefix: string, counter: BudgetCounter): string {
  return `${prefix}budget:{${counter.userId}}:${whose(counter)}:${counter.window}:${String(counter.span.start)}`;
}

/** Set once when the soft threshold of this limit is crossed in this window; naming the limit lets a changed limit warn again. */
export function softFlagKey(prefix: string, counter: BudgetCounter, limitMicros: number): string {
  return `${prefix}budget:{${counter.userId}}:${whose(counter)}:${counter.window}:${String(counter.span.start)}:soft:${String(limitMicros)}`;
}
