// Which money budgets and token limits apply to a caller: the tier's defaults (spec.tiers), a
// user's own overrides and an API key's own overrides (the admin API, table limit_overrides).
// Pure, so the precedence is unit-tested and every replica resolves a caller the same way.
//
// Budgets: the user's budget in each window is the user's override, else the tier's default; a
// key's budget exists only when the key was given one, and both hold at once (a key spends its
// user's budget too). Token limits: the key's override, else the user's, else the tier's.
import type { TierLimits } from '../config.ts';
import type { BudgetWindow } from './windows.ts';

/** USD limits per window; absent: no limit in that window. */
export interface BudgetAmounts {
  dailyUsd?: number;
  monthlyUsd?: number;
  /** Lifetime spend limit: a prepaid balance. */
  lifetimeUsd?: number;
}

/** A tier's default budget for each of its users, and when to warn. */
export interface TierBudget extends BudgetAmounts {
  /** Percent of a budget at which a warning is emitted once per window (80 when absent). */
  softLimitPercent?: number;
}

/** What an admin set on a user or a key (limit_overrides); null or absent: inherit. */
export interface LimitOverrides {
  dailyUsd?: number | null;
  monthlyUsd?: number | null;
  lifetimeUsd?: number | null;
  tokensPerMinute?: number | null;
  tokensPerDay?: number | null;
}

export type BudgetOwner = 'user' | 'key';

/** One budget in force for a request. */
export interface BudgetLimit {
  owner: BudgetOwner;
  window: BudgetWindow;
  limitUsd: number;
  /** The spend at which the soft warning fires (limit × softLimitPercent). */
  softUsd: number;
}

const DEFAULT_SOFT_LIMIT_PERCENT = 80;

const AMOUNT_FIELDS: readonly [BudgetWindow, keyof BudgetAmounts][] = [
  ['day', 'dailyUsd'],
  ['month', 'monthlyUsd'],
  ['lifetime', 'lifetimeUsd'],
];

function defined(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The budgets in force, the user's first, in day, month, lifetime order. */
export function budgetsFor(tier: TierBudget | undefined, user?: LimitOverrides, key?: LimitOverrides): BudgetLimit[] {
  const percent = tier?.softLimitPercent ?? DEFAULT_SOFT_LIMIT_PERCENT;
  const budgets: BudgetLimit[] = [];
  const add = (owner: BudgetOwner, window: BudgetWindow, limitUsd: number | null | undefined): void => {
    if (defined(limitUsd)) budgets.push({ owner, window, limitUsd, softUsd: (limitUsd * percent) / 100 });
  };
  for (const [window, field] of AMOUNT_FIELDS) add('user', window, defined(user?.[field]) ? user[field] : tier?.[field]);
  for (const [window, field] of AMOUNT_FIELDS) add('key', window, key?.[field]);
  return budgets;
}

/** The tier's limits with the user's and the key's token overrides applied (the key's wins). */
export function withTokenOverrides(limits: TierLimits, user?: LimitOverrides, key?: LimitOverrides): TierLimits {
  const pick = (field: 'tokensPerMinute' | 'tokensPerDay'): number | undefined => {
    const value = key?.[field] ?? user?.[field];
    return defined(value) ? value : limits[field];
  };
  const tokensPerMinute = pick('tokensPerMinute');
  const tokensPerDay = pick('tokensPerDay');
  return {
    ...limits,
    ...(tokensPerMinute === undefined ? {} : { tokensPerMinute }),
    ...(tokensPerDay === undefined ? {} : { tokensPerDay }),
  };
}
