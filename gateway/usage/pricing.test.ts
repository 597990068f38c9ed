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
    const table = new PriceTable([{ name: 'gpt-4o', provider: 'openai', pricing: { inputPerMillionTokens: 1, outputPerMillionTokens: 2 } }]);
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
});
