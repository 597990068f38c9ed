// What a request cost, in USD, from its token counts: usage_logs.cost_usd, the Polar event's
// cost, and perpetual_cost_usd_total. Prices come from the PerpetualDeployment
// (models[].pricing) first, then from the built-in list below; a local-mode model (a ModelServer,
// no provider) costs 0 unless priced, and a model found nowhere costs 0 and says so, so that an
// operator can spot unpriced traffic instead of silently under-billing.
import type { ModelPricing, ModelRoute } from '../config.ts';

/**
 * USD per million tokens. These are the providers' public list prices at the time of writing
 * (standard tier, no batch discounts), with OpenAI's cached-input price per model and
 * Anthropic's cache multipliers (reads 0.1x the input price, 5-minute cache writes 1.25x); they
 * change, so every one of them can be overridden per model with models[].pricing in the
 * PerpetualDeployment.
 */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPricing>> = {
  // OpenAI
  'gpt-5': price(1.25, 10, { cachedInput: 0.125 }),
  'gpt-5-mini': price(0.25, 2, { cachedInput: 0.025 }),
  'gpt-5-nano': price(0.05, 0.4, { cachedInput: 0.005 }),
  'gpt-4.1': price(2, 8, { cachedInput: 0.5 }),
  'gpt-4.1-mini': price(0.4, 1.6, { cachedInput: 0.1 }),
  'gpt-4.1-nano': price(0.1, 0.4, { cachedInput: 0.025 }),
  'gpt-4o': price(2.5, 10, { cachedInput: 1.25 }),
  'gpt-4o-mini': price(0.15, 0.6, { cachedInput: 0.075 }),
  'gpt-4-turbo': price(10, 30),
  'gpt-3.5-turbo': price(0.5, 1.5),
  o1: price(15, 60, { cachedInput: 7.5 }),
  'o1-mini': price(1.1, 4.4, { cachedInput: 0.55 }),
  o3: price(2, 8, { cachedInput: 0.5 }),
  'o3-mini': price(1.1, 4.4, { cachedInput: 0.55 }),
  'o4-mini': price(1.1, 4.4, { cachedInput: 0.275 }),
  // Anthropic
  'claude-opus-4-5': anthropic(5, 25),
  'claude-opus-4-1': anthropic(15, 75),
  'claude-opus-4': anthropic(15, 75),
  'claude-sonnet-4-5': anthropic(3, 15),
  'claude-sonnet-4': anthropic(3, 15),
  'claude-haiku-4-5': anthropic(1, 5),
  'claude-3-7-sonnet': anthropic(3, 15),
  'claude-3-5-sonnet': anthropic(3, 15),
  'claude-3-5-haiku': anthropic(0.8, 4),
  'claude-3-opus': anthropic(15, 75),
  'claude-3-haiku': anthropic(0.25, 1.25),
};

function price(inputPerMillionTokens: number, outputPerMillionTokens: number, cache: { cachedInput?: number } = {}): ModelPricing {
  return {
    inputPerMillionTokens,
    outputPerMillionTokens,
    ...(cache.cachedInput === undefined ? {} : { cachedInputPerMillionTokens: cache.cachedInput }),
  };
}

/** Anthropic prices its prompt cache from the input price: reads at 0.1x, 5-minute writes at 1.25x. */
function anthropic(inputPerMillionTokens: number, outputPerMillionTokens: number): ModelPricing {
  return {
    inputPerMillionTokens,
    outputPerMillionTokens,
    cachedInputPerMillionTokens: round(inputPerMillionTokens * 0.1),
    cacheWritePerMillionTokens: round(inputPerMillionTokens * 1.25),
  };
}

function round(usd: number): number {
  return Number(usd.toFixed(6));
}

/** Where a price came from; `unknown` is the flag for unpriced traffic (its cost is 0). */
export type PriceSource = 'config' | 'default' | 'local' | 'unknown';

export interface Cost {
  usd: number;
  source: PriceSource;
}

export interface CostInput {
  /** The model name the client used (models[].name). */
  model: string;
  /** Every prompt token, cached and cache-written ones included (OpenAI's prompt_tokens). */
  inputTokens: number;
  outputTokens: number;
  /** Of inputTokens, those read from the provider's prompt cache. */
  cachedInputTokens?: number;
  /** Of inputTokens, those written to the provider's prompt cache (Anthropic's cache_creation_input_tokens). */
  cacheWriteTokens?: number;
}

/** The part of a model route pricing needs. */
export type PricedModel = Pick<ModelRoute, 'name' | 'provider' | 'pricing'> & { upstreamModel?: string };

export class PriceTable {
  private readonly models = new Map<string, PricedModel>();
  private readonly defaults: Readonly<Record<string, ModelPricing>>;
  /** Default keys, longest first, for the prefix match of dated snapshots. */
  private readonly defaultKeys: string[];

  constructor(models: readonly PricedModel[], defaults: Readonly<Record<string, ModelPricing>> = DEFAULT_PRICES) {
    for (const model of models) this.models.set(model.name, model);
    this.defaults = defaults;
    this.defaultKeys = Object.keys(defaults).sort((a, b) => b.length - a.length);
  }

  /** The price of `model` and where it came from; undefined price for local and unknown models. */
  lookup(model: string): { pricing: ModelPricing | undefined; source: PriceSource } {
    const route = this.models.get(model);
    if (route?.pricing) return { pricing: route.pricing, source: 'config' };
    if (route && route.provider === undefined) return { pricing: undefined, source: 'local' };
    const pricing = this.defaultFor(route?.upstreamModel ?? model) ?? this.defaultFor(model);
    return pricing ? { pricing, source: 'default' } : { pricing: undefined, source: 'unknown' };
  }

  costUsd(input: CostInput): Cost {
    const { pricing, source } = this.lookup(input.model);
    if (!pricing) return { usd: 0, source };
    // Cached and cache-written tokens are part of the prompt; without a price of their own they
    // cost what any prompt token costs (never less than the provider may charge).
    const prompt = tokens(input.inputTokens);
    const cached = Math.min(tokens(input.cachedInputTokens ?? 0), prompt);
    const written = Math.min(tokens(input.cacheWriteTokens ?? 0), prompt - cached);
    const usd =
      ((prompt - cached - written) * pricing.inputPerMillionTokens +
        cached * (pricing.cachedInputPerMillionTokens ?? pricing.inputPerMillionTokens) +
        written * (pricing.cacheWritePerMillionTokens ?? pricing.inputPerMillionTokens) +
        tokens(input.outputTokens) * pricing.outputPerMillionTokens) /
      1_000_000;
    // Twelve decimals are far below a micro-cent and hide binary floating-point noise.
    return { usd: Number(usd.toFixed(12)), source };
  }

  /**
   * The built-in price for an upstream model id: exact, or the longest known name it extends at a
   * "-" boundary (dated snapshots such as gpt-4o-2024-08-06 or claude-sonnet-4-5-20250929, and
   * "-latest" aliases), after dropping a router prefix such as "openai/".
   */
  private defaultFor(id: string): ModelPricing | undefined {
    const bare = id.slice(id.lastIndexOf('/') + 1).toLowerCase();
    const exact = this.defaults[bare];
    if (exact) return exact;
    const key = this.defaultKeys.find((k) => bare.startsWith(`${k}-`));
    return key === undefined ? undefined : this.defaults[key];
  }
}

/** Negative, fractional or non-finite counts (a bug upstream) must not produce a negative bill. */
function tokens(count: number): number {
  return Number.isFinite(count) && count > 0 ? Math.floor(count) : 0;
}
