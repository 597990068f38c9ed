import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES, PriceTable } from './pricing.ts';

const tokens = (model: string, inputTokens: number, outputTokens: number) => ({ model, inputTokens, outputTokens });

describe('PriceTable', () => {
  it('prices known OpenAI and Anthropic models from the built-in list', () => {
    const table = new PriceTable([]);
    expect(table.costUsd(tokens('gpt-4o-mini', 1_000_000, 1_000_000))).toEqual({ usd: 0.75, source: 'default' });
    expect(table.costUsd(tokens('gpt-4o', 1000, 500))).toEqual({ usd: 0.0075, source: 'default' });
    expect(table.costUsd(tokens('claude-sonnet-4-5', 2000, 1000))).toEqual({ usd: 0.021, source: 'default' });
    for (const name of ['gpt-4.1', 'gpt-4.1-mini', 'o3-mini', 'claude-haiku-4-5', 'claude-opus-4-1']) {
      expect(table.lookup(name).source).toBe('default');
    }
  });

  it('matches dated snapshots, -latest aliases and router prefixes to the longest known name', () => {
    const table = new PriceTable([]);
    expect(table.lookup('gpt-4o-mini-2024-07-18').pricing).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(table.lookup('gpt-4o-2024-08-06').pricing).toEqual(DEFAULT_PRICES['gpt-4o']);
    expect(table.lookup('claude-sonnet-4-5-20250929').pricing).toEqual(DEFAULT_PRICES['claude-sonnet-4-5']);
    expect(table.lookup('claude-opus-4-20250514').pricing).toEqual(DEFAULT_PRICES['claude-opus-4']);
    expect(table.lookup('claude-3-5-haiku-latest').pricing).toEqual(DEFAULT_PRICES['claude-3-5-haiku']);
    expect(table.lookup('openai/GPT-4.1-nano').pricing).toEqual(DEFAULT_PRICES['gpt-4.1-nano']);
    // A boundary is required: "gpt-4o" must not price "gpt-4omega".
    expect(table.lookup('gpt-4omega').source).toBe('unknown');
  });

  it('prefers the price configured on the PerpetualDeployment model', () => {
    const table = new PriceTable([
      { name: 'gpt-4o', provider: 'openai', pricing: { inputPerMillionTokens: 1, outputPerMillionTokens: 2 } },
    ]);
    expect(table.costUsd(tokens('gpt-4o', 1_000_000, 500_000))).toEqual({ usd: 2, source: 'config' });
  });

  it('prices an aliased model by its upstream model', () => {
    const table = new PriceTable([{ name: 'fast', provider: 'openai', upstreamModel: 'gpt-4o-mini' }]);
    expect(table.costUsd(tokens('fast', 1_000_000, 0))).toEqual({ usd: 0.15, source: 'default' });
  });

  it('charges nothing for a local-mode model unless it is priced', () => {
    const table = new PriceTable([
      { name: 'llama', upstreamModel: 'meta-llama/Llama-3.1-8B-Instruct' },
      { name: 'qwen', upstreamModel: 'Qwen/Qwen2.5-7B', pricing: { inputPerMillionTokens: 0.1, outputPerMillionTokens: 0.2 } },
    ]);
    expect(table.costUsd(tokens('llama', 10_000, 10_000))).toEqual({ usd: 0, source: 'local' });
    expect(table.costUsd(tokens('qwen', 1_000_000, 1_000_000))).toEqual({ usd: 0.3, source: 'config' });
  });

  it('flags an unknown model and charges 0 rather than guessing', () => {
    const table = new PriceTable([{ name: 'mixtral', provider: 'groq' }]);
    expect(table.costUsd(tokens('mixtral', 1000, 1000))).toEqual({ usd: 0, source: 'unknown' });
    expect(table.costUsd(tokens('never-heard-of-it', 1000, 1000))).toEqual({ usd: 0, source: 'unknown' });
  });

  it('never produces a negative or fractional-token cost, and no floating-point noise', () => {
    const table = new PriceTable([]);
    expect(table.costUsd(tokens('gpt-4o', -5, Number.NaN)).usd).toBe(0);
    expect(table.costUsd(tokens('gpt-4o', 1.9, 0)).usd).toBe(0.0000025);
    expect(table.costUsd(tokens('gpt-4o-mini', 1, 2)).usd).toBe(0.00000135);
  });

  it('prices cached input as OpenAI publishes it: gpt-4o-mini, 10,000 prompt tokens of which 8,000 cached, 500 out', () => {
    // $0.15/M uncached input, $0.075/M cached input, $0.60/M output:
    // 2,000 x 0.15 + 8,000 x 0.075 + 500 x 0.60 = 300 + 600 + 300 = 1,200 micro-dollars.
    const table = new PriceTable([]);
    expect(table.costUsd({ model: 'gpt-4o-mini', inputTokens: 10_000, outputTokens: 500, cachedInputTokens: 8_000 })).toEqual({
      usd: 0.0012,
      source: 'default',
    });
  });

  it('prices Anthropic cache reads at 0.1x and 5-minute cache writes at 1.25x the input price', () => {
    // claude-sonnet-4-5 ($3/M in, $15/M out): 1,000 plain + 50,000 read ($0.30/M) + 10,000 written
    // ($3.75/M) input tokens, 500 out: 3,000 + 15,000 + 37,500 + 7,500 = 63,000 micro-dollars.
    const table = new PriceTable([]);
    expect(
      table.costUsd({
        model: 'claude-sonnet-4-5',
        inputTokens: 61_000,
        outputTokens: 500,
        cachedInputTokens: 50_000,
        cacheWriteTokens: 10_000,
      }),
    ).toEqual({ usd: 0.063, source: 'default' });
  });

  it('uses the configured cached prices, the input price when a model has none, and never counts a token twice', () => {
    const configured = new PriceTable([
      { name: 'm', provider: 'openai', pricing: { inputPerMillionTokens: 1, outputPerMillionTokens: 2, cachedInputPerMillionTokens: 0.5 } },
    ]);
    expect(configured.costUsd({ model: 'm', inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 1_000_000 }).usd).toBe(0.5);
    const plain = new PriceTable([{ name: 'p', provider: 'openai', pricing: { inputPerMillionTokens: 1, outputPerMillionTokens: 2 } }]);
    expect(
      plain.costUsd({ model: 'p', inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 400_000, cacheWriteTokens: 100_000 }).usd,
    ).toBe(1);
    // More cached tokens than prompt tokens (a bad report) cannot make the prompt cost less than all-cached.
    expect(configured.costUsd({ model: 'm', inputTokens: 100, outputTokens: 0, cachedInputTokens: 1_000 }).usd).toBe(0.00005);
  });
});
