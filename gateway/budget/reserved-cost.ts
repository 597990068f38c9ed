// What a request reserves against its money budgets before it goes upstream: the price of the
// token reservation (ratelimit/token-reservation.ts) for the model the client named, every prompt
// token at the dearer of the input and cache-write prices (a prompt may be written to the
// provider's cache, which Anthropic bills at 1.25x input) and every completion token at the output
// price. An upper bound of the real cost as long as the upstream stays within the reservation's
// tokens, so concurrent requests overshoot a budget by at most one request's reservation. The
// accounting replaces it by the real cost after the answer. A call that generates nothing (token
// counting) reserves nothing: the accounting never sees it, so a reservation would stay counted
// until its window ends.
import type { TierLimits } from '../config.ts';
import type { RateLimitRequest } from '../ratelimit/result.ts';
import { generatesNothing, reservationParts, type LimitedCall } from '../ratelimit/token-reservation.ts';
import type { PriceTable } from '../usage/pricing.ts';
import type { BudgetLimit } from './limits.ts';
import { toMicros } from './windows.ts';

/** USD to reserve for the call; null when it generates nothing, so there is nothing to reserve or settle. */
export function reservedCostUsd(prices: PriceTable, call: LimitedCall, limits: TierLimits, injectedTokens = 0): number | null {
  if (generatesNothing(call)) return null;
  const model = typeof call.body === 'object' && call.body !== null ? (call.body as { model?: unknown }).model : undefined;
  if (typeof model !== 'string') return 0;
  const { prompt, output } = reservationParts(call, limits.maxOutputTokens, injectedTokens);
  const plain = prices.costUsd({ model, inputTokens: prompt, outputTokens: output }).usd;
  const written = prices.costUsd({ model, inputTokens: prompt, cacheWriteTokens: prompt, outputTokens: output }).usd;
  return Math.max(plain, written);
}

/**
 * The limiter's request with the caller's budgets and the money to reserve against them (no
 * budgets: unchanged). `reserveUsd` null: the budgets are checked (a spent one still refuses) but
 * nothing is reserved.
 */
export function withBudgets(
  request: RateLimitRequest,
  budgets: readonly BudgetLimit[] | undefined,
  reserveUsd: number | null,
): RateLimitRequest {
  if (!budgets || budgets.length === 0) return request;
  // A micro-dollar at least: a request priced below it still takes room, so a budget of 0 refuses all.
  return { ...request, budgets: [...budgets], reserveMicros: reserveUsd === null ? 0 : Math.max(1, toMicros(reserveUsd)) };
}
