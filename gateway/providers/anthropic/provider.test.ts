// The Anthropic provider end to end against the Anthropic stub, which validates requests like
// the real API: a translation bug (a system role left in messages, a missing max_tokens, a
// tool_result without its tool_use) fails these tests with the stub's 400.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAnthropicUpstream } from '../../../test/stubs/anthropic-upstream.ts';
import type { AnthropicUpstream } from '../../../test/stubs/anthropic-upstream.ts';
import { caught, collect } from '../../../test/support/provider-calls.ts';
import { ANTHROPIC_VERSION, createAnthropicProvider } from './provider.ts';
import type { ProviderClient, ProviderTarget } from '../provider-client.ts';
import type { ChatCompletionRequest } from '../../protocols/openai/types.ts';
import { createUpstreamHttp } from '../transport/upstream-http.ts';
import type { UpstreamHttp } from '../transport/upstream-http.ts';

const KEY = 'sk-ant-api03-test-key-0123456789';

describe('Anthropic provider', () => {
  let stub: AnthropicUpstream;
  let http: UpstreamHttp;
  let provider: ProviderClient;
  let target: ProviderTarget;
  const signal = new AbortController().signal;
  const req = (extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
    model: 'claude',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hello there friend' },
    ],
    ...extra,
  });

  beforeAll(async () => {
    stub = await startAnthropicUpstream({ apiKey: KEY });
    http = createUpstreamHttp({ random: () => 0 });
    provider = createAnthropicProvider(http, () => 1_700_000_000_000);
  });
  afterAll(async () => {
    await http.close();
    await stub.close();
  });
  beforeEach(() => {
    stub.behaviour = { apiKey: KEY };
    stub.requests.length = 0;
    target = {
      kind: 'anthropic',
      baseURL: stub.url,
      apiKey: KEY,
      upstreamModel: 'claude-upstream',
      headers: { 'anthropic-beta': 'test-beta' },
    };
  });

  it('sends a valid Messages request and answers in OpenAI shape', async () => {
    stub.behaviour = { apiKey: KEY, cacheReadTokens: 100, cacheCreationTokens: 20 };
    const result = await provider.chat(req({ temperature: 0.5, stop: 'END' }), target, signal);
    const sent = stub.requests[0];
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.headers['x-api-key']).toBe(KEY);
    expect(sent?.headers['anthropic-version']).toBe(ANTHROPIC_VERSION);
    expect(sent?.headers['anthropic-beta']).toBe('test-beta');
    expect(sent?.body).toEqual({
      model: 'claude-upstream',
      max_tokens: 4096,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there friend' }] }],
      temperature: 0.5,
      stop_sequences: ['END'],
    });
    expect(result.response).toMatchObject({
      object: 'chat.completion',
      model: 'claude',
      created: 1_700_000_000,
      choices: [{ index: 0, message: { role: 'assistant', content: 'echo: hello there friend' }, finish_reason: 'stop' }],
    });
    // Cache reads and writes count as prompt tokens, on top of the plain input tokens.
    expect(result.usage.prompt_tokens).toBeGreaterThan(120);
    expect(result.usage.total_tokens).toBe(result.usage.prompt_tokens + result.usage.completion_tokens);
    expect(result.usage.prompt_tokens_details).toEqual({ cached_tokens: 100, cache_creation_tokens: 20 });
    expect(result.usage.completion_tokens).toBe(4);
    expect(result.usageEstimated).toBe(false);
    expect(result.upstreamRequestId).toBe('req_stub');
  });

  it('carries a whole tool round trip past the validating stub', async () => {
    stub.behaviour = { apiKey: KEY, toolUse: { name: 'get_weather', input: { city: 'Rome' } } };
    const result = await provider.chat(
      req({
        messages: [
          { role: 'user', content: 'weather in Paris?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'toolu_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          { role: 'tool', tool_call_id: 'toolu_a', content: 'sunny' },
          { role: 'user', content: 'and Rome?' },
        ],
        tools: [
          { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
        ],
        tool_choice: 'auto',
      }),
      target,
      signal,
    );
    expect(result.response.choices[0]?.finish_reason).toBe('tool_calls');
    expect(result.response.choices[0]?.message.tool_calls).toEqual([
      { id: 'toolu_stub_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
    ]);
  });

  it('streams OpenAI chunks and takes usage from message_start and message_delta', async () => {
    const stream = await provider.chatStream(req({ stream: true }), target, signal);
    const chunks = await collect(stream);
    expect(stub.requests[0]?.body).toMatchObject({ stream: true });
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('echo: hello there friend');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.every((c) => c.choices.length === 1 && !('usage' in c) && c.model === 'claude')).toBe(true);
    const { usage, usageEstimated } = stream.usage();
    expect(usageEstimated).toBe(false);
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBe(4);
  });

  it('adds a final usage chunk when the client asked for it', async () => {
    const stream = await provider.chatStream(req({ stream: true, stream_options: { include_usage: true } }), target, signal);
    const chunks = await collect(stream);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual(stream.usage().usage);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('streams tool calls as OpenAI tool_call deltas', async () => {
    stub.behaviour = { apiKey: KEY, toolUse: { name: 'get_weather', input: { city: 'Paris' } } };
    const chunks = await collect(await provider.chatStream(req({ stream: true }), target, signal));
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: 'toolu_stub_1', type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(calls.map((c) => c.function?.arguments ?? '').join('')).toBe('{"city":"Paris"}');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('estimates and flags usage when the stream carries none', async () => {
    stub.behaviour = { apiKey: KEY, omitUsage: true };
    const stream = await provider.chatStream(req({ stream: true }), target, signal);
    await collect(stream);
    // 3 + (4 + ceil(9/4)) + (4 + ceil(18/4)) = 3 + 7 + 9 = 19 prompt; 24 chars → 6 completion.
    expect(stream.usage()).toEqual({ usage: { prompt_tokens: 19, completion_tokens: 6, total_tokens: 25 }, usageEstimated: true });
  });

  it('turns an in-stream error event into a GatewayError from the iteration', async () => {
    stub.behaviour = { apiKey: KEY, errorAfterDeltas: 1 };
    const stream = await provider.chatStream(req({ stream: true }), target, signal);
    const err = await caught(collect(stream));
    expect([err.status, err.code]).toEqual([503, 'provider_overloaded']);
  });

  it('maps a rejected key to 401 without echoing it', async () => {
    const err = await caught(provider.chat(req(), { ...target, apiKey: 'sk-ant-wrong-key-999999' }, signal));
    expect([err.status, err.code]).toEqual([401, 'provider_authentication_failed']);
    expect(err.message).toBe(
      'Authentication failed with provider "anthropic": the provider rejected your API key. Update it with POST /v1/provider-keys/add.',
    );
  });

  it("passes Anthropic's 400 message on", async () => {
    const err = await caught(provider.chat(req({ top_p: 1.7 }), target, signal));
    expect(err.status).toBe(400);
    expect(err.message).toBe('Provider "anthropic" rejected the request (HTTP 400): top_p: Input should be less than or equal to 1');
  });

  it('keeps connections alive after streamed messages', async () => {
    for (let i = 0; i < 3; i++) {
      await collect(await provider.chatStream(req({ stream: true }), target, signal));
      await provider.chat(req(), target, signal);
    }
    // At most two sockets for sequential calls (see the OpenAI-compatible test for why two).
    expect(new Set(stub.requests.map((r) => r.connection)).size).toBeLessThanOrEqual(2);
  });

  it('refuses embeddings with a 400 that says what to do', async () => {
    const err = await caught(provider.embeddings({ model: 'claude', input: 'x' }, target, signal));
    expect([err.status, err.code]).toEqual([400, 'embeddings_not_supported']);
    expect(stub.requests).toHaveLength(0);
  });

  it('aborts the upstream stream when the client goes away', async () => {
    stub.behaviour = { apiKey: KEY, delayMs: 30 };
    const controller = new AbortController();
    const stream = await provider.chatStream(req({ stream: true }), target, controller.signal);
    const before = stub.clientAborts;
    const err = await caught(
      (async () => {
        for await (const chunk of stream) {
          if (chunk.choices[0]?.delta.content === 'echo: ') controller.abort();
        }
      })(),
    );
    expect(err.code).toBe('client_closed_request');
    await stub.waitForClientAbort(3_000);
    expect(stub.clientAborts).toBeGreaterThan(before);
  });
});
