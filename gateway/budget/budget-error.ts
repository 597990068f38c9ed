// The hard stop of a money budget: a 429 in the caller's dialect (the one error family renders
// it as OpenAI's or Anthropic's error body) with type and code budget_exceeded, as OpenAI answers
// an exhausted quota with insufficient_quota. The message names the budget, its limit, what was
// spent and when it resets; `param` names the budget for programs (e.g. "user.monthly_usd");
// Retry-After is the reset, except for a lifetime budget, which only a top-up raises.
import { GatewayError } from '../errors.ts';
import { formatDuration } from '../ratelimit/headers.ts';
import type { BudgetState } from '../ratelimit/result.ts';
import type { BudgetWindow } from './windows.ts';

const FIELD: Readonly<Record<BudgetWindow, string>> = { day: 'daily_usd', month: 'monthly_usd', lifetime: 'lifetime_usd' };
const PERIOD: Readonly<Record<BudgetWindow, string>> = { day: 'daily', month: 'monthly', lifetime: 'lifetime' };

/** "$12.50", "$0.000300": cents when whole, else enough digits to be exact to the micro-dollar. */
export function usd(amount: number): string {
  const cents = amount * 100;
  return `$${Math.abs(cents - Math.round(cents)) < 1e-6 ? amount.toFixed(2) : amount.toFixed(6)}`;
}

/** The budget's name in the admin API: "user.monthly_usd", "key.daily_usd". */
export function budgetParam(budget: Pick<BudgetState, 'owner' | 'window'>): string {
  return `${budget.owner}.${FIELD[budget.window]}`;
}

export function budgetExceededError(budget: BudgetState): GatewayError {
  const whose = budget.owner === 'user' ? "your account's" : "this API key's";
  const when =
    budget.reset === null
      ? 'It does not reset: ask the platform team to raise it.'
      : `It resets at ${new Date(budget.reset * 1000).toISOString()} (in ${formatDuration(budget.resetAfterSeconds ?? 0)}).`;
  return new GatewayError(
    `Budget exceeded: ${whose} ${PERIOD[budget.window]} budget of ${usd(budget.limitUsd)} is spent (${usd(budget.spentUsd)} so far). ${when}`,
    {
      status: 429,
      type: 'budget_exceeded',
      code: 'budget_exceeded',
      param: budgetParam(budget),
      headers: budget.resetAfterSeconds === undefined ? {} : { 'Retry-After': String(budget.resetAfterSeconds) },
    },
  );
}
