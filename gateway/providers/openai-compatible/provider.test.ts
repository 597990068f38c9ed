import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIUpstream } from '../../../test/stubs/openai-upstream.ts';
import type { OpenAIUpstream } from '../../../test/stubs/openai-upstream.ts';
import { caught, collect } from '../../../test/support/provider-calls.ts';
import { createOpenAICompatibleProvider, type OpenAICompatibleClient } from './provider.ts';
import type { ProviderTarget } from '../provider-client.ts';
import type { ChatCompletionRequest } from '../../protocols/openai/types.ts';
import { createUpstreamHttp } from '../transport/upstream-http.ts';
import type { UpstreamHttp } from '../transport/upstream-http.ts';

const KEY = 'sk-test-openai-key-0123456789';

describe('OpenAI-compatible provider', () => {
  let stub: OpenAIUpstream;
  let http: UpstreamHttp;
  let provider: OpenAICompatibleClient;
  let target: ProviderTarget;
  const signal = new AbortController().signal;
  const req = (extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
    model: 'smart',
    messages: [{ role: 'user', content: 'hello there friend' }],
    ...extra,
  });

  beforeAll(async () => {
    stub = await startOpenAIUpstream();
    http = createUpstreamHttp({ random: () => 0 });
    provider = createOpenAICompatibleProvider(http, () => 1_700_000_000_000);
  });
  afterAll(async () => {
    await http.close();
    await stub.close();
  });
  beforeEach(() => {
    stub.behaviour = {};
    stub.requests.length = 0;
    target = { kind: 'openai', baseURL: stub.url, apiKey: KEY, upstreamModel: 'gpt-upstream', headers: { 'OpenAI-Organization': 'org-1' } };
  });

  it('sends the upstream model name and key, and answers under the client model name', async () => {
    const result = await provider.chat(req({ temperature: 0.3, some_vendor_field: { x: 1 } }), target, signal);
    const sent = stub.requests[0];
    expect(sent?.body).toEqual({
      model: 'gpt-upstream',
      messages: [{ role: 'user', content: 'hello there friend' }],
      temperature: 0.3,
      some_vendor_field: { x: 1 },
    });
    expect(sent?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent?.headers['openai-organization']).toBe('org-1');
    expect(result.response.model).toBe('smart');
    expect(result.response.choices[0]?.message.content).toBe('echo: hello there friend');
    expect(result.usageEstimated).toBe(false);
    expect(result.usage).toEqual(result.response.usage);
    expect(result.upstreamRequestId).toBe('req_stub');
  });

  it('sends no Authorization header to a keyless local server', async () => {
    await provider.chat(req(), { ...target, apiKey: undefined }, signal);
    expect(stub.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('estimates and flags usage when the upstream reports none', async () => {
    stub.behaviour = { omitUsage: true };
    const result = await provider.chat(req(), target, signal);
    expect(result.usageEstimated).toBe(true);
    // 3 priming + 4 per message + ceil(18 chars / 4) = 12; "echo: hello there friend" is 24 chars = 6.
    expect(result.usage).toEqual({ prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 });
    expect(result.response.usage).toEqual(result.usage);
  });

  it('always asks for usage upstream but hides the usage chunk from a client that did not ask', async () => {
    const stream = await provider.chatStream(req({ stream: true }), target, signal);
    const chunks = await collect(stream);
    expect(stub.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, model: 'gpt-upstream' });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('echo: hello there friend');
    expect(chunks.every((c) => c.choices.length > 0 && !('usage' in c) && c.model === 'smart')).toBe(true);
    expect(stream.usage()).toEqual({
      usage: expect.objectContaining({ prompt_tokens: 6, completion_tokens: 4, total_tokens: 10 }) as unknown,
      usageEstimated: false,
    });
  });

  it('passes the usage chunk on to a client that asked for it', async () => {
    const stream = await provider.chatStream(req({ stream: true, stream_options: { include_usage: true } }), target, signal);
    const chunks = await collect(stream);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 4 }, model: 'smart' });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('estimates streamed usage when the upstream sends none, and gives the client a usage chunk if asked', async () => {
    stub.behaviour = { omitUsage: true };
    const stream = await provider.chatStream(req({ stream: true, stream_options: { include_usage: true } }), target, signal);
    const chunks = await collect(stream);
    expect(stream.usage()).toEqual({ usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 }, usageEstimated: true });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 6 } });
  });

  it('streams tool calls through untouched', async () => {
    stub.behaviour = { toolCall: { name: 'lookup', arguments: '{"q": "x"}' }, deltas: 2 };
    const chunks = await collect(await provider.chatStream(req({ stream: true }), target, signal));
    const args = chunks.map((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '').join('');
    expect(args).toBe('{"q": "x"}');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('maps a rejected key to 401 with a fix and without the key', async () => {
    stub.behaviour = { apiKey: 'sk-the-right-key-000000' };
    const err = await caught(provider.chat(req(), target, signal));
    expect([err.status, err.type, err.code]).toEqual([401, 'authentication_error', 'provider_authentication_failed']);
    expect(err.message).toContain('POST /v1/provider-keys/add');
    expect(JSON.stringify(err.toJSON())).not.toContain(KEY);
    expect(stub.requests).toHaveLength(1);
  });

  it("passes the upstream's 400 message on, and maps an unknown model to 404", async () => {
    const bad = await caught(provider.chat(req({ messages: [] }), target, signal));
    expect(bad.status).toBe(400);
    expect(bad.message).toContain("Invalid 'messages': empty array");
    stub.behaviour = { models: ['other'] };
    const missing = await caught(provider.chat(req(), target, signal));
    expect([missing.status, missing.code]).toEqual([404, 'provider_model_not_found']);
    expect(missing.message).toContain('"smart"');
  });

  it('reuses pooled keep-alive connections across JSON and streamed calls', async () => {
    for (let i = 0; i < 3; i++) {
      await provider.chat(req(), target, signal);
      await collect(await provider.chatStream(req({ stream: true }), target, signal));
    }
    // Six sequential calls, at most two connections: undici frees a connection a tick after its
    // body ends, so back-to-back calls alternate between two sockets. A leaked or destroyed body
    // would open a new connection every time.
    expect(stub.requests).toHaveLength(6);
    expect(new Set(stub.requests.map((r) => r.connection)).size).toBeLessThanOrEqual(2);
  });

  it('embeds with the upstream model name and reports usage', async () => {
    const result = await provider.embeddings({ model: 'embedder', input: ['a b', 'c'] }, target, signal);
    expect(stub.requests[0]?.body).toEqual({ model: 'gpt-upstream', input: ['a b', 'c'] });
    expect(result.response.model).toBe('embedder');
    expect(result.response.data).toHaveLength(2);
    expect(result.usage).toEqual({ prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 });
    expect(result.usageEstimated).toBe(false);
  });

  describe('legacy completions', () => {
    it("sends the prompt as is to /completions with the upstream model name, and answers under the client's", async () => {
      const result = await provider.completions({ model: 'smart', prompt: 'def fib(n):', suffix: '\n', max_tokens: 8 }, target, signal);
      expect(stub.requests[0]).toMatchObject({
        path: '/v1/completions',
        body: { model: 'gpt-upstream', prompt: 'def fib(n):', suffix: '\n', max_tokens: 8 },
      });
      expect(stub.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(result.response).toMatchObject({
        object: 'text_completion',
        model: 'smart',
        choices: [{ text: 'echo: def fib(n):', index: 0 }],
      });
      expect(result.usageEstimated).toBe(false);
      expect(result.upstreamRequestId).toBe('req_stub');
    });

    it('estimates and flags usage when the upstream reports none, counting token ids as tokens', async () => {
      stub.behaviour = { omitUsage: true };
      // ceil(18 chars / 4) = 5 prompt tokens; "echo: hello there friend" is 24 chars = 6.
      expect((await provider.completions({ model: 'smart', prompt: 'hello there friend' }, target, signal)).usage).toEqual({
        prompt_tokens: 5,
        completion_tokens: 6,
        total_tokens: 11,
      });
      const tokens = await provider.completions({ model: 'smart', prompt: [[1, 2, 3], [4]] }, target, signal);
      expect(tokens.usage.prompt_tokens).toBe(4);
      expect(tokens.response.usage).toEqual(tokens.usage);
    });

    it("streams text_completion chunks under the client's model name, always asking for usage but hiding it when not asked", async () => {
      const stream = await provider.completionsStream({ model: 'smart', prompt: 'one two three', stream: true }, target, signal);
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(stub.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, model: 'gpt-upstream' });
      expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe('echo: one two three');
      expect(chunks.every((c) => c.model === 'smart' && !('usage' in c))).toBe(true);
      expect(new Set(chunks.map((c) => c.object))).toEqual(new Set(['text_completion']));
      expect(stream.usage()).toEqual({
        usage: expect.objectContaining({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }) as unknown,
        usageEstimated: false,
      });
    });

    it('estimates streamed usage from the text when the upstream sends none, and adds a text_completion usage chunk if asked', async () => {
      stub.behaviour = { omitUsage: true };
      const stream = await provider.completionsStream(
        { model: 'smart', prompt: 'hello there friend', stream: true, stream_options: { include_usage: true } },
        target,
        signal,
      );
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(stream.usage()).toEqual({ usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 }, usageEstimated: true });
      expect(chunks.at(-1)).toMatchObject({
        object: 'text_completion',
        model: 'smart',
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 6 },
      });
    });
  });
});
