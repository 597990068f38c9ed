import { describe, expect, it } from 'vitest';
import { DEFAULT_PROVIDER_BASE_URLS } from '../config.ts';
import { adapterTierRefusal, resolveModel } from './resolve-model.ts';

const proxy = {
  mode: 'proxy' as const,
  providerBaseURLs: DEFAULT_PROVIDER_BASE_URLS,
  models: [
    { name: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5', fallback: 'gpt-4o-mini' },
    { name: 'mine', provider: 'openai', upstreamModel: 'gpt-4o', baseURL: 'http://127.0.0.1:9/v1' },
  ],
};
const local = {
  mode: 'local' as const,
  providerBaseURLs: DEFAULT_PROVIDER_BASE_URLS,
  models: [{ name: 'mistral-7b', upstreamModel: 'mistralai/Mistral-7B', endpoint: 'http://mistral-vllm.ns.svc:8000/v1' }],
};

describe('resolveModel', () => {
  it.each([
    ['claude', { provider: 'anthropic', kind: 'anthropic', upstreamModel: 'claude-sonnet-4-5', baseURL: 'https://api.anthropic.com' }],
    ['mine', { provider: 'openai', kind: 'openai', upstreamModel: 'gpt-4o', baseURL: 'http://127.0.0.1:9/v1' }],
    ['gpt-4o-mini', { provider: 'openai', kind: 'openai', upstreamModel: 'gpt-4o-mini' }],
    ['o3-mini', { provider: 'openai', kind: 'openai' }],
    ['claude-haiku-4-5', { provider: 'anthropic', kind: 'anthropic', upstreamModel: 'claude-haiku-4-5' }],
    [
      'groq/llama-3.1-8b-instant',
      { provider: 'groq', kind: 'openai-compatible', upstreamModel: 'llama-3.1-8b-instant', baseURL: 'https://api.groq.com/openai/v1' },
    ],
  ])('routes %s in proxy mode', (name, expected) => {
    expect(resolveModel(proxy, name)).toMatchObject({ name, ...expected });
  });

  it('routes a configured ModelServer in local mode without a provider key', () => {
    expect(resolveModel(local, 'mistral-7b')).toMatchObject({
      provider: undefined,
      kind: 'openai-compatible',
      baseURL: 'http://mistral-vllm.ns.svc:8000/v1',
      upstreamModel: 'mistralai/Mistral-7B',
    });
  });

  it('refuses unknown models with a 404 that lists what exists', () => {
    expect(() => resolveModel(local, 'gpt-4o')).toThrow(/"gpt-4o" does not exist.*Available models: mistral-7b/);
    expect(() => resolveModel(proxy, 'llama-unknown')).toThrow(
      expect.objectContaining({ status: 404, code: 'model_not_found', param: 'model' }) as Error,
    );
    expect(() => resolveModel(proxy, 'nowhere/model')).toThrow(/does not exist/);
  });
});

describe('resolveModel with LoRA adapters', () => {
  const lora = {
    mode: 'local' as const,
    providerBaseURLs: DEFAULT_PROVIDER_BASE_URLS,
    models: [
      {
        name: 'llama',
        upstreamModel: 'meta-llama/Llama-3.1-8B',
        endpoint: 'http://llama-vllm.ns.svc:8000/v1',
        modelServer: 'llama',
        fallback: 'mistral-7b',
        adapters: [
          { name: 'sql' },
          { name: 'bad', loadError: 'Loading lora bad failed: No adapter found for org/bad' },
          { name: 'shared' },
        ],
      },
      {
        name: 'mistral-7b',
        upstreamModel: 'mistralai/Mistral-7B',
        endpoint: 'http://mistral-vllm.ns.svc:8000/v1',
        adapters: [{ name: 'shared' }],
      },
      // A configured model named like an adapter wins over it.
      { name: 'sql-model', upstreamModel: 'x', endpoint: 'http://x.ns.svc:8000/v1' },
    ],
  };

  it.each(['llama:sql', 'sql'])('sends %s to the base model replicas with the adapter as the upstream model, without fallback', (name) => {
    const resolved = resolveModel(lora, name);
    expect(resolved).toMatchObject({ name, upstreamModel: 'sql', adapter: 'sql', baseURL: 'http://llama-vllm.ns.svc:8000/v1' });
    expect(resolved.route).toMatchObject({ name: 'llama', modelServer: 'llama' });
    expect(resolved.route?.fallback).toBeUndefined();
  });

  it('takes <model>:<adapter> over a bare name two models share, and the first model for the bare name', () => {
    expect(resolveModel(lora, 'mistral-7b:shared').route?.name).toBe('mistral-7b');
    expect(resolveModel(lora, 'shared').route?.name).toBe('llama');
    expect(resolveModel(lora, 'llama').adapter).toBeUndefined();
  });

  it('answers a refused adapter with a 404 model_not_found naming it and quoting the server', () => {
    for (const name of ['llama:bad', 'bad']) {
      expect(() => resolveModel(lora, name)).toThrow(
        expect.objectContaining({
          status: 404,
          code: 'model_not_found',
          param: 'model',
          message: 'The adapter "bad" of model "llama" is not loaded: Loading lora bad failed: No adapter found for org/bad',
        }) as Error,
      );
    }
  });

  it('refuses an adapter no model lists, and an adapter of another model, as an unknown model', () => {
    expect(() => resolveModel(lora, 'llama:nope')).toThrow(/"llama:nope" does not exist/);
    expect(() => resolveModel(lora, 'mistral-7b:sql')).toThrow(/"mistral-7b:sql" does not exist/);
  });
});

describe('adapterTierRefusal', () => {
  const models = [
    {
      name: 'llama',
      upstreamModel: 'meta-llama/Llama-3.1-8B',
      endpoint: 'http://llama-vllm.ns.svc:8000/v1',
      adapters: [{ name: 'premium', tiers: ['pro', 'enterprise'] }, { name: 'open' }],
    },
  ];

  it('refuses an adapter to a tier its list leaves out, naming the adapter and the tiers it is open to', () => {
    const expected = 'The free tier may not use the adapter "premium" of model "llama": it is open to pro, enterprise.';
    expect(adapterTierRefusal(models, 'llama:premium', 'free')).toBe(expected);
    expect(adapterTierRefusal(models, 'premium', 'free')).toBe(expected);
  });

  it('lets the listed tiers, adapters without a list, base models and unknown names through', () => {
    expect(adapterTierRefusal(models, 'llama:premium', 'pro')).toBeUndefined();
    expect(adapterTierRefusal(models, 'llama:open', 'free')).toBeUndefined();
    expect(adapterTierRefusal(models, 'llama', 'free')).toBeUndefined();
    expect(adapterTierRefusal(models, 'gpt-4o', 'free')).toBeUndefined();
    expect(adapterTierRefusal(models, undefined, 'free')).toBeUndefined();
  });
});
