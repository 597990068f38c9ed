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
import {
  generatesNothing,
  limitRequestWith,
  limitsTokens,
  reservationParts,
  type LimitedCall,
  type ReservationParts,
} from '../ratelimit/token-reservation.ts';
import type { PriceTable } from '../usage/pricing.ts';
import type { BudgetLimit } from './limits.ts';
import { toMicros } from './windows.ts';

function modelOf(call: LimitedCall): unknown {
  return typeof call.body === 'object' && call.body !== null ? (call.body as { model?: unknown }).model : undefined;
}

/** The price of an estimated reservation for `model`. */
function priceOf(prices: PriceTable, model: string, { prompt, output }: ReservationParts): number {
  const plain = prices.costUsd({ model, inputTokens: prompt, outputTokens: output }).usd;
  const written = prices.costUsd({ model, inputTokens: prompt, cacheWriteTokens: prompt, outputTokens: output }).usd;
  return Math.max(plain, written);
}

/** USD to reserve for the call; null when it generates nothing, so there is nothing to reserve or settle. */
export function reservedCostUsd(prices: PriceTable, call: LimitedCall, limits: TierLimits, injectedTokens = 0): number | null {
  if (generatesNothing(call)) return null;
  const model = modelOf(call);
  if (typeof model !== 'string') return 0;
  return priceOf(prices, model, reservationParts(call, limits.maxOutputTokens, injectedTokens));
}

/**
 * The limiter's request for one call of a caller: its request and token limits with the token
 * reservation, and its money budgets with that reservation's price. The same as
 * withBudgets(limitRequest(...), budgets, reservedCostUsd(...)), but the prompt (a JSON.stringify
 * of the messages) is estimated once for both, and only when tokens or budgets need it.
 */
export function limitedCallRequest(
  prices: PriceTable,
  who: { keyId?: string; userId: string; limits: TierLimits; budgets?: readonly BudgetLimit[] | undefined },
  call: LimitedCall | undefined,
  injectedTokens = 0,
): RateLimitRequest {
  const budgets = who.budgets !== undefined && who.budgets.length > 0 ? who.budgets : undefined;
  if (!call) return withBudgets(limitRequestWith(who, undefined), budgets, 0);
  const tokens = limitsTokens(who.limits);
  // Budgets price the reservation for the model the body names; a call that generates nothing reserves no money.
  const nothing = generatesNothing(call);
  const model = budgets && !nothing ? modelOf(call) : undefined;
  const parts = tokens || typeof model === 'string' ? reservationParts(call, who.limits.maxOutputTokens, injectedTokens) : undefined;
  const request = limitRequestWith(who, tokens ? parts : undefined);
  if (!budgets) return request;
  return withBudgets(request, budgets, nothing ? null : typeof model === 'string' && parts ? priceOf(prices, model, parts) : 0);
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
