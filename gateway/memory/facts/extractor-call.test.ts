import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/config-error.ts';
import { GatewayError } from '../../errors.ts';
import type { ChatCompletionRequest } from '../../protocols/openai/types.ts';
import type { ChatResult, ProviderClient, ProviderTarget } from '../../providers/provider-client.ts';
import { extractorCall, type ExtractorCallDeps } from './extractor-call.ts';
import { DEFAULT_FACT_EXTRACTION, factExtractionSettings } from './fact-settings.ts';

function fakeClient() {
  const calls: { req: ChatCompletionRequest; target: ProviderTarget }[] = [];
  const client = {
    chat: (req: ChatCompletionRequest, target: ProviderTarget): Promise<ChatResult> => {
      calls.push({ req, target });
      return Promise.resolve({
        response: {
          id: 'x',
          object: 'chat.completion',
          created: 0,
          model: req.model,
          choices: [{ index: 0, message: { role: 'assistant', content: '{"facts": []}' }, finish_reason: 'stop', logprobs: null }],
        },
        usage: { prompt_tokens: 1_000_000, completion_tokens: 1_000_000, total_tokens: 2_000_000 },
        usageEstimated: false,
        upstreamRequestId: undefined,
      });
    },
  };
  return { client: client as unknown as ProviderClient, calls };
}

function deps(settings: Partial<ExtractorCallDeps['settings']>, keys: Record<string, string> = {}) {
  const { client, calls } = fakeClient();
  const d: ExtractorCallDeps = {
    config: {
      mode: 'proxy',
      models: [
        {
          name: 'cheap',
          provider: 'openai',
          upstreamModel: 'gpt-4o-mini',
          pricing: { inputPerMillionTokens: 1, outputPerMillionTokens: 2 },
        },
      ],
      providerBaseURLs: { openai: 'http://127.0.0.1:1/v1' },
    },
    settings: { ...DEFAULT_FACT_EXTRACTION, enabled: true, ...settings },
    providerFor: () => client,
    providerKey: (userId, provider) => Promise.resolve(keys[`${userId}:${provider}`]),
  };
  return { deps: d, calls };
}

describe('extractorCall', () => {
  it("calls the configured model with the account's own key, asking for JSON at temperature 0, priced like a chat", async () => {
    const { deps: d, calls } = deps({ model: 'cheap' }, { 'u1:openai': 'sk-u1' });
    const answer = await extractorCall(d)('u1', [{ role: 'user', content: 'hi' }], AbortSignal.timeout(1000));
    expect(calls[0]?.req).toMatchObject({ model: 'cheap', temperature: 0, response_format: { type: 'json_object' } });
    expect(calls[0]?.target).toMatchObject({
      kind: 'openai',
      upstreamModel: 'gpt-4o-mini',
      apiKey: 'sk-u1',
      baseURL: 'http://127.0.0.1:1/v1',
    });
    expect(answer).toMatchObject({
      text: '{"facts": []}',
      model: 'cheap',
      provider: 'openai',
      inputTokens: 1_000_000,
      outputTokens: 1_000_000,
      costUsd: 3,
    });
  });

  it('refuses an account without the key, naming the provider', async () => {
    const { deps: d, calls } = deps({ model: 'cheap' });
    const call = extractorCall(d)('u2', [{ role: 'user', content: 'hi' }], AbortSignal.timeout(1000));
    await expect(call).rejects.toBeInstanceOf(GatewayError);
    await expect(call).rejects.toMatchObject({ code: 'provider_key_missing' });
    expect(calls).toEqual([]);
  });

  it('calls a ModelServer by its endpoint, without a key', async () => {
    const { deps: d, calls } = deps({ source: 'modelServer', model: 'qwen-small', endpoint: 'http://extract.ns.svc:8000/v1' });
    const answer = await extractorCall(d)('u1', [{ role: 'user', content: 'hi' }], AbortSignal.timeout(1000));
    expect(calls[0]?.target).toMatchObject({
      kind: 'openai-compatible',
      baseURL: 'http://extract.ns.svc:8000/v1',
      upstreamModel: 'qwen-small',
    });
    expect(calls[0]?.target.apiKey).toBeUndefined();
    expect(answer).toMatchObject({ provider: 'local', costUsd: 0 });
  });

  it('fails at start when the settings name no usable model', () => {
    expect(() => extractorCall(deps({ model: undefined }).deps)).toThrow(ConfigError);
    expect(() => extractorCall(deps({ model: 'no-such-model' }).deps)).toThrow(/factExtraction\.model/);
    expect(() => extractorCall(deps({ source: 'modelServer', model: 'm' }).deps)).toThrow(/modelServer source/);
  });
});

describe('factExtractionSettings', () => {
  it('is off by default and fills what the file leaves out', () => {
    expect(factExtractionSettings(undefined)).toEqual(DEFAULT_FACT_EXTRACTION);
    expect(factExtractionSettings({ enabled: true, model: 'cheap', tiers: ['pro'] })).toEqual({
      ...DEFAULT_FACT_EXTRACTION,
      enabled: true,
      model: 'cheap',
      tiers: ['pro'],
    });
  });
});
