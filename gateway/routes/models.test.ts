import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ProviderKey } from '../db/provider-keys.ts';
import type { ListModels, ModelsSource } from '../providers/provider-models.ts';
import { modelList, modelNotFound, providerModelLister, routableName, type ModelsRouteDeps } from './models.ts';

const CONFIG: ModelsRouteDeps['config'] = {
  mode: 'proxy',
  models: [{ name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini-2024-07-18' }],
  providerBaseURLs: { openai: 'http://openai.test/v1', anthropic: 'http://anthropic.test', groq: 'http://groq.test/v1' },
};

describe('routableName', () => {
  it('keeps an id prefix routing already sends to the provider', () => {
    expect(routableName(CONFIG, 'openai', 'gpt-4.1')).toBe('gpt-4.1');
    expect(routableName(CONFIG, 'anthropic', 'claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5-20250929');
  });

  it('names the provider when prefix routing would not reach it', () => {
    expect(routableName(CONFIG, 'openai', 'whisper-1')).toBe('openai/whisper-1');
    expect(routableName(CONFIG, 'groq', 'llama-3.1-8b-instant')).toBe('groq/llama-3.1-8b-instant');
    // A Groq-hosted id that looks like OpenAI's must not be listed under a name that goes to OpenAI.
    expect(routableName(CONFIG, 'groq', 'gpt-oss-20b')).toBe('groq/gpt-oss-20b');
  });

  it('names the provider when a configured model holds the id for another upstream model', () => {
    expect(routableName(CONFIG, 'openai', 'gpt-4o-mini')).toBe('openai/gpt-4o-mini');
  });

  it('drops ids no model name can hold', () => {
    expect(routableName(CONFIG, 'groq', 'bad id\n')).toBeUndefined();
  });
});

describe('modelList', () => {
  it("lists configured models as perpetual's first, then provider models once each, owned by the provider", () => {
    const list = modelList(CONFIG, 42, [
      { provider: 'openai', ids: ['gpt-4.1', 'whisper-1', 'gpt-4.1'] },
      { provider: 'groq', ids: ['whisper-1'] },
    ]);
    expect(list).toEqual([
      { id: 'gpt-4o-mini', object: 'model', created: 42, owned_by: 'perpetual' },
      { id: 'gpt-4.1', object: 'model', created: 42, owned_by: 'openai' },
      { id: 'openai/whisper-1', object: 'model', created: 42, owned_by: 'openai' },
      { id: 'groq/whisper-1', object: 'model', created: 42, owned_by: 'groq' },
    ]);
  });
});

describe('modelList with LoRA adapters', () => {
  it('lists each loadable adapter as <model>:<adapter> with its parent, and leaves a refused one out', () => {
    const config = {
      mode: 'local' as const,
      providerBaseURLs: {},
      models: [
        {
          name: 'llama',
          upstreamModel: 'meta-llama/Llama-3.1-8B',
          endpoint: 'http://llama-vllm.ns.svc:8000/v1',
          adapters: [{ name: 'sql' }, { name: 'bad', loadError: 'No adapter found' }],
        },
      ],
    };
    expect(modelList(config, 42, [])).toEqual([
      { id: 'llama', object: 'model', created: 42, owned_by: 'perpetual' },
      { id: 'llama:sql', object: 'model', created: 42, owned_by: 'perpetual', parent: 'llama' },
    ]);
  });
});

describe('modelNotFound', () => {
  it("is OpenAI's 404, and shows the id only when it could be a model name", () => {
    expect(modelNotFound('gpt-9').toJSON()).toEqual({
      error: {
        message: expect.stringContaining('"gpt-9"') as string,
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_found',
      },
    });
    expect(modelNotFound('x'.repeat(3000)).message.length).toBeLessThan(200);
    expect(modelNotFound('a\u0000b').message).not.toContain('\u0000');
  });
});

describe('providerModelLister', () => {
  const KEYS: Record<string, Record<string, string>> = { alice: { openai: 'sk-alice', groq: 'gsk-alice' }, bob: { groq: 'gsk-bob' } };

  function lister(overrides: Partial<ModelsRouteDeps> & { listModels: ListModels }) {
    let clock = 0;
    const deps: ModelsRouteDeps = {
      config: CONFIG,
      startedAt: 0,
      store: {
        listProviderKeys: (userId) => Promise.resolve(Object.keys(KEYS[userId] ?? {}).map((provider) => ({ provider }) as ProviderKey)),
      },
      providerKey: (userId, provider) => Promise.resolve(KEYS[userId]?.[provider]),
      log: pino({ level: 'silent' }),
      now: () => clock,
      ...overrides,
    };
    return {
      list: providerModelLister(deps),
      advance: (ms: number) => {
        clock += ms;
      },
    };
  }

  function recording(answer: (source: ModelsSource, signal: AbortSignal) => Promise<string[]>): {
    calls: ModelsSource[];
    listModels: ListModels;
  } {
    const calls: ModelsSource[] = [];
    return {
      calls,
      listModels: (source, signal) => {
        calls.push(source);
        return answer(source, signal);
      },
    };
  }

  it('asks each provider the user has a key for, with that key, and caches the answer per user', async () => {
    const { calls, listModels } = recording((source) => Promise.resolve([`${source.provider}-model-for-${source.apiKey}`]));
    const { list, advance } = lister({ listModels });
    expect(await list('alice')).toEqual([
      { provider: 'openai', ids: ['openai-model-for-sk-alice'] },
      { provider: 'groq', ids: ['groq-model-for-gsk-alice'] },
    ]);
    expect(await list('bob')).toEqual([{ provider: 'groq', ids: ['groq-model-for-gsk-bob'] }]);
    expect(calls.map((c) => [c.provider, c.kind, c.baseURL])).toEqual([
      ['openai', 'openai', 'http://openai.test/v1'],
      ['groq', 'openai-compatible', 'http://groq.test/v1'],
      ['groq', 'openai-compatible', 'http://groq.test/v1'],
    ]);
    advance(60_000);
    await list('alice');
    expect(calls).toHaveLength(3);
    advance(300_000);
    await list('alice');
    expect(calls).toHaveLength(5);
  });

  it('answers without a provider that does not answer in time, and keeps its last list after a failure', async () => {
    let hang = false;
    const { calls, listModels } = recording((_source, signal) =>
      hang
        ? new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              reject(new Error('timed out'));
            });
          })
        : Promise.resolve(['m1']),
    );
    const { list, advance } = lister({
      listModels,
      timeoutMs: 50,
      store: { listProviderKeys: () => Promise.resolve([{ provider: 'groq' } as ProviderKey]) },
    });
    hang = true;
    expect(await list('alice')).toEqual([{ provider: 'groq', ids: [] }]);
    advance(30_001);
    hang = false;
    expect(await list('alice')).toEqual([{ provider: 'groq', ids: ['m1'] }]);
    advance(300_001);
    hang = true;
    expect(await list('alice')).toEqual([{ provider: 'groq', ids: ['m1'] }]);
    // Left alone for a while after a failure, instead of making every listing wait again.
    await list('alice');
    expect(calls).toHaveLength(3);
  });

  it('asks again at once when the user replaces their key', async () => {
    const keys: Record<string, string> = { groq: 'gsk-old' };
    const { calls, listModels } = recording(() => Promise.resolve(['m']));
    const { list } = lister({ listModels, providerKey: (_user, provider) => Promise.resolve(keys[provider]) });
    await list('bob');
    keys.groq = 'gsk-new';
    await list('bob');
    expect(calls.map((c) => c.apiKey)).toEqual(['gsk-old', 'gsk-new']);
  });

  it('lists nothing from providers in local mode, for providers without a base URL, or when the keys cannot be read', async () => {
    const { calls, listModels } = recording(() => Promise.resolve(['m']));
    expect(await lister({ listModels, config: { ...CONFIG, mode: 'local' } }).list('alice')).toEqual([]);
    expect(await lister({ listModels, config: { ...CONFIG, providerBaseURLs: {} } }).list('alice')).toEqual([]);
    expect(
      await lister({ listModels, store: { listProviderKeys: () => Promise.reject(new Error('database down')) } }).list('alice'),
    ).toEqual([]);
    expect(calls).toHaveLength(0);
  });
});
