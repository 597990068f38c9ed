import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIUpstream } from '../../../test/stubs/openai-upstream.ts';
import type { OpenAIUpstream } from '../../../test/stubs/openai-upstream.ts';
import { caught, collect } from '../../../test/support/provider-calls.ts';
import type { ProviderTarget, ResponsesUpstreamBody } from '../provider-client.ts';
import { createUpstreamHttp } from '../transport/upstream-http.ts';
import type { UpstreamHttp } from '../transport/upstream-http.ts';
import { createOpenAICompatibleProvider, type OpenAICompatibleClient } from './provider.ts';
import { chatUsage, outputText } from './responses.ts';

const KEY = 'sk-test-openai-key-0123456789';

describe('OpenAI-compatible provider: the Responses API passed through', () => {
  let stub: OpenAIUpstream;
  let http: UpstreamHttp;
  let provider: OpenAICompatibleClient;
  let target: ProviderTarget;
  const signal = new AbortController().signal;
  const body = (extra: Partial<ResponsesUpstreamBody> = {}): ResponsesUpstreamBody => ({
    model: 'smart',
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello there friend' }] }],
    store: false,
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
    target = { kind: 'openai', baseURL: stub.url, apiKey: KEY, upstreamModel: 'gpt-upstream' };
  });

  it('sends the body with the upstream model name and answers under the client model name, usage as reported', async () => {
    const result = await provider.responses(body({ instructions: 'Be brief.', reasoning: { effort: 'low' } }), target, signal);
    const sent = stub.requests[0];
    expect(sent?.path).toBe('/v1/responses');
    expect(sent?.body).toMatchObject({
      model: 'gpt-upstream',
      stream: false,
      store: false,
      instructions: 'Be brief.',
      reasoning: { effort: 'low' },
    });
    expect(sent?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(result.response.model).toBe('smart');
    expect(outputText(result.response.output)).toBe('echo: hello there friend');
    const usage = result.response.usage as { input_tokens: number; output_tokens: number };
    expect(result.usage).toMatchObject({ prompt_tokens: usage.input_tokens, completion_tokens: usage.output_tokens });
    expect(result.usageEstimated).toBe(false);
    expect(result.upstreamRequestId).toBe('req_stub');
  });

  it('estimates usage, flagged, when the upstream reports none', async () => {
    stub.behaviour = { omitUsage: true };
    const result = await provider.responses(body(), target, signal);
    expect(result.usageEstimated).toBe(true);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
    expect(result.usage.completion_tokens).toBeGreaterThan(0);
  });

  it('streams the upstream events in order, the model name restored, and takes usage from the terminal event', async () => {
    stub.behaviour = { reasoning: 'think', deltas: 3 };
    const stream = await provider.responsesStream(body({ include: ['reasoning.encrypted_content'] }), target, signal);
    const events = await collect(stream);
    expect(stub.requests[0]?.body).toMatchObject({ stream: true, model: 'gpt-upstream' });
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[0]?.type).toBe('response.created');
    const last = events.at(-1);
    expect(last?.type).toBe('response.completed');
    expect((last?.response as { model: string }).model).toBe('smart');
    expect(
      events
        .filter((e) => e.type === 'response.output_text.delta')
        .map((e) => e.delta)
        .join(''),
    ).toBe('echo: hello there friend');
    const reported = chatUsage((last?.response as { usage: unknown }).usage);
    expect(stream.usage()).toMatchObject({
      usageEstimated: false,
      usage: {
        prompt_tokens: reported?.prompt_tokens,
        completion_tokens: reported?.completion_tokens,
        completion_tokens_details: { reasoning_tokens: 1 },
      },
    });
  });

  it('fails a stream cut before its terminal event as a bad upstream answer, after the events it got', async () => {
    stub.behaviour = { cutAfterChunks: 4 };
    const stream = await provider.responsesStream(body(), target, signal);
    const seen: string[] = [];
    const err = await caught(
      (async () => {
        for await (const event of stream) seen.push(event.type);
      })(),
    );
    expect(seen.length).toBeGreaterThan(0);
    expect(err).toMatchObject({ status: 502 });
    expect(stream.usage().usageEstimated).toBe(true);
  });

  it("passes the upstream's 400 on with its param, and never the key", async () => {
    const err = await caught(provider.responses(body({ previous_response_id: 'resp_leaked' }), target, signal));
    expect(err).toMatchObject({ status: 400, param: 'previous_response_id' });
    expect(JSON.stringify(err)).not.toContain(KEY);
  });
});

describe('chatUsage', () => {
  it('maps Responses usage to the chat shape accounting reads, cached and reasoning tokens included', () => {
    expect(
      chatUsage({
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 7,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 17,
      }),
    ).toEqual({
      prompt_tokens: 10,
      completion_tokens: 7,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
    expect(chatUsage(null)).toBeUndefined();
  });
});
