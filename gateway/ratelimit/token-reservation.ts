// How many tokens a request reserves against its token limits before it goes upstream: the prompt
// estimated from the body's text (about 4 characters a token, as the usage estimate in
// providers/usage.ts; measured over the JSON, so a little high, which errs on the side of the
// limit) plus the most it may generate: its own max_tokens / max_completion_tokens /
// max_output_tokens, capped by the tier's maxOutputTokens, or that cap when it names none. The
// reservation is replaced by the real usage when the answer is accounted (reservations.ts).
import { DEFAULT_MAX_OUTPUT_TOKENS, type TierLimits } from '../config.ts';
import { CHARS_PER_TOKEN } from '../providers/usage.ts';
import type { RateLimitRequest } from './result.ts';

/** The route a limited request is for: its path under the API prefix and its parsed body. */
export interface LimitedCall {
  path: string;
  body: unknown;
}

/** The parts of a body that are sent to the model as input, in the dialects the gateway speaks. */
const INPUT_FIELDS = ['messages', 'prompt', 'input', 'system', 'instructions', 'tools'] as const;
const OUTPUT_FIELDS = ['max_completion_tokens', 'max_tokens', 'max_output_tokens'] as const;

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

function promptEstimate(body: unknown): number {
  let chars = 0;
  for (const name of INPUT_FIELDS) {
    const value = field(body, name);
    if (value !== undefined) chars += typeof value === 'string' ? value.length : JSON.stringify(value).length;
  }
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

function outputCeiling(body: unknown, cap: number): number {
  const asked = OUTPUT_FIELDS.map((name) => field(body, name)).find((v): v is number => Number.isSafeInteger(v) && (v as number) > 0);
  const choices = field(body, 'n');
  const perChoice = Math.min(asked ?? cap, cap);
  return perChoice * (Number.isSafeInteger(choices) && (choices as number) > 1 ? (choices as number) : 1);
}

/** Token counting generates nothing and is billed nothing: it reserves neither tokens nor money. */
export function generatesNothing(call: LimitedCall): boolean {
  return call.path.endsWith('/count_tokens');
}

/**
 * Tokens to reserve: none for calls that generate nothing billable (token counting), no output for
 * embeddings. `injectedTokens` is what the gateway itself may add to the prompt (the memory
 * block's token budget), which the upstream counts as prompt tokens.
 */
export function reservedTokens(call: LimitedCall, maxOutputTokens = DEFAULT_MAX_OUTPUT_TOKENS, injectedTokens = 0): number {
  const { prompt, output } = reservationParts(call, maxOutputTokens, injectedTokens);
  return prompt + output;
}

/** A reservation split into prompt and completion tokens, which are priced differently (budget/reserved-cost.ts). */
export interface ReservationParts {
  prompt: number;
  output: number;
}

/** The reservation for a call, split into its parts. */
export function reservationParts(call: LimitedCall, maxOutputTokens = DEFAULT_MAX_OUTPUT_TOKENS, injectedTokens = 0): ReservationParts {
  if (generatesNothing(call)) return { prompt: 0, output: 0 };
  const prompt = promptEstimate(call.body);
  if (call.path.endsWith('/embeddings')) return { prompt, output: 0 };
  return { prompt: prompt + injectedTokens, output: outputCeiling(call.body, maxOutputTokens) };
}

/** Whether a caller's limits count tokens (and so a request reserves some). */
export function limitsTokens(limits: TierLimits): boolean {
  return limits.tokensPerMinute !== undefined || limits.tokensPerDay !== undefined;
}

type Limited = { keyId?: string; userId: string; limits: TierLimits };

/**
 * The limiter's request for a caller: its key (under its user's hash tag), its request limits, and
 * its token limits with a reservation when it has any.
 */
export function limitRequest(who: Limited, call?: LimitedCall, injectedTokens = 0): RateLimitRequest {
  const parts = call && limitsTokens(who.limits) ? reservationParts(call, who.limits.maxOutputTokens, injectedTokens) : undefined;
  return limitRequestWith(who, parts);
}

/**
 * limitRequest with the reservation already estimated (`parts`: undefined reserves nothing), for
 * a caller that prices the same reservation against money budgets (budget/reserved-cost.ts) and
 * so estimates the prompt once. Without token limits `parts` is not used.
 */
export function limitRequestWith(who: Limited, parts: ReservationParts | undefined): RateLimitRequest {
  const { limits } = who;
  const base = {
    keyId: who.keyId ?? who.userId,
    ...(who.userId ? { userId: who.userId } : {}),
    perMinute: limits.requestsPerMinute,
    perDay: limits.requestsPerDay,
  };
  if (!limitsTokens(limits)) return base;
  return {
    ...base,
    ...(limits.tokensPerMinute === undefined ? {} : { tokensPerMinute: limits.tokensPerMinute }),
    ...(limits.tokensPerDay === undefined ? {} : { tokensPerDay: limits.tokensPerDay }),
    reserveTokens: parts ? parts.prompt + parts.output : 0,
  };
}
