// The transport rules: retries only before the first byte, abort and timeouts end the upstream
// request at once, unreachable upstreams map to 502. Uses the OpenAI stub and provider as driver.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayError } from '../../errors.ts';
import { startOpenAIUpstream } from '../../../test/stubs/openai-upstream.ts';
import type { OpenAIUpstream } from '../../../test/stubs/openai-upstream.ts';
import { createOpenAICompatibleProvider } from '../openai-compatible/provider.ts';
import type { ProviderClient, ProviderTarget } from '../provider-client.ts';
import type { ChatCompletionRequest } from '../../protocols/openai/types.ts';
import { createUpstreamHttp, joinUrl } from './upstream-http.ts';
import type { UpstreamHttp, UpstreamHttpOptions } from './upstream-http.ts';

function caught(promise: Promise<unknown>): Promise<GatewayError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err as GatewayError,
  );
}

const req: ChatCompletionRequest = { model: 'smart', messages: [{ role: 'user', content: 'one two three four five' }] };

describe('upstream HTTP client', () => {
  let stub: OpenAIUpstream;
  let target: ProviderTarget;
  const clients: UpstreamHttp[] = [];

  function providerWith(options: UpstreamHttpOptions = {}): ProviderClient {
    const client = createUpstreamHttp({ random: () => 0, ...options });
    clients.push(client);
    return createOpenAICompatibleProvider(client);
  }

  beforeAll(async () => {
    stub = await startOpenAIUpstream();
  });
  afterAll(async () => {
    await stub.close();
  });
  beforeEach(() => {
    stub.behaviour = {};
    stub.requests.length = 0;
    target = { kind: 'openai-compatible', providerName: 'vllm', baseURL: stub.url, apiKey: 'sk-transport-test-key', upstreamModel: 'm' };
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('retries 503 once before the first byte: one failure, then success', async () => {
    stub.behaviour = { failFirst: { count: 1, status: 503 } };
    const result = await providerWith().chat(req, target, new AbortController().signal);
    expect(result.response.choices[0]?.message.content).toBe('echo: one two three four five');
    expect(stub.requests).toHaveLength(2);
  });

  it('gives up after one retry, reports the last status and asks the client not to retry on top', async () => {
    stub.behaviour = { failFirst: { count: 10, status: 502 } };
    const err = await caught(providerWith().chat(req, target, new AbortController().signal));
    expect([err.status, err.code, err.headers['x-should-retry']]).toEqual([502, 'upstream_unavailable', 'false']);
    expect(stub.requests).toHaveLength(2);
  });

  it('honours a short Retry-After on 429 and passes a long one to the client', async () => {
    stub.behaviour = { failFirst: { count: 1, status: 429, retryAfter: '0' } };
    await providerWith().chat(req, target, new AbortController().signal);
    expect(stub.requests).toHaveLength(2);

    stub.requests.length = 0;
    stub.behaviour = { failFirst: { count: 1, status: 429, retryAfter: '60' } };
    const err = await caught(providerWith().chat(req, target, new AbortController().signal));
    expect([err.status, err.code, err.headers['Retry-After']]).toEqual([429, 'provider_rate_limited', '60']);
    expect(stub.requests).toHaveLength(1);
  });

  it('does not retry a 400 or a 401', async () => {
    stub.behaviour = { failFirst: { count: 1, status: 400 } };
    expect((await caught(providerWith().chat(req, target, new AbortController().signal))).status).toBe(400);
    stub.behaviour = { apiKey: 'other' };
    expect((await caught(providerWith().chat(req, target, new AbortController().signal))).status).toBe(401);
    expect(stub.requests).toHaveLength(2);
  });

  it('never retries once the body has started streaming', async () => {
    stub.behaviour = { cutAfterChunks: 2 };
    const stream = await providerWith().chatStream({ ...req, stream: true }, target, new AbortController().signal);
    const seen: string[] = [];
    const err = await caught(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    );
    expect([err.status, err.code]).toEqual([502, 'upstream_unavailable']);
    expect(seen).toEqual(['', 'echo: ']);
    expect(stub.requests).toHaveLength(1);
    // Whatever was streamed still counts: the estimate covers what the client received.
    expect(stream.usage()).toMatchObject({ usageEstimated: true, usage: { completion_tokens: 2 } });
  });

  it('aborts the upstream request when the client goes away before the headers', async () => {
    stub.behaviour = { hang: true };
    const controller = new AbortController();
    const pending = caught(providerWith().chat(req, target, controller.signal));
    await waitFor(() => stub.requests.length === 1);
    const aborts = stub.clientAborts;
    controller.abort();
    const err = await pending;
    expect([err.status, err.code]).toEqual([499, 'client_closed_request']);
    await waitFor(() => stub.clientAborts > aborts);
  });

  it('aborts the upstream stream when the client goes away mid-stream', async () => {
    stub.behaviour = { delayMs: 30 };
    const controller = new AbortController();
    const stream = await providerWith().chatStream({ ...req, stream: true }, target, controller.signal);
    const aborts = stub.clientAborts;
    const err = await caught(
      (async () => {
        for await (const chunk of stream) {
          if (chunk.choices[0]?.delta.role === 'assistant') controller.abort();
        }
      })(),
    );
    expect(err.code).toBe('client_closed_request');
    await waitFor(() => stub.clientAborts > aborts);
  });

  it('releases the upstream connection when the consumer stops reading early', async () => {
    stub.behaviour = { delayMs: 30 };
    const stream = await providerWith().chatStream({ ...req, stream: true }, target, new AbortController().signal);
    const aborts = stub.clientAborts;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.role === 'assistant') break;
    }
    await waitFor(() => stub.clientAborts > aborts);
  });

  it('times out waiting for headers with 504 and closes the upstream request', async () => {
    stub.behaviour = { hang: true };
    const aborts = stub.clientAborts;
    const err = await caught(providerWith({ headersTimeoutMs: 200 }).chat(req, target, new AbortController().signal));
    expect([err.status, err.code]).toEqual([504, 'upstream_timeout']);
    expect(stub.requests).toHaveLength(1);
    await waitFor(() => stub.clientAborts > aborts);
  });

  it('times out a stalled stream with 504', async () => {
    // undici checks body timeouts on a coarse (about half-second) clock, hence the long stall.
    stub.behaviour = { delayMs: 3_000 };
    const stream = await providerWith({ bodyTimeoutMs: 150 }).chatStream({ ...req, stream: true }, target, new AbortController().signal);
    const err = await caught(
      (async () => {
        for await (const chunk of stream) expect(chunk.object).toBe('chat.completion.chunk');
      })(),
    );
    expect([err.status, err.code]).toEqual([504, 'upstream_timeout']);
  });

  it('maps a refused connection to 502 after retrying it', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    const err = await caught(providerWith().chat(req, { ...target, baseURL: `http://127.0.0.1:${port}/v1` }, new AbortController().signal));
    expect([err.status, err.code]).toEqual([502, 'upstream_unavailable']);
    expect(err.message).toBe(
      `Could not reach provider "vllm" at 127.0.0.1:${port}. Retry shortly; if it persists, check the provider's base URL and status.`,
    );
  });

  it('joins base URLs and paths', () => {
    expect(joinUrl('http://h/v1/', '/chat/completions')).toBe('http://h/v1/chat/completions');
    expect(joinUrl('http://h/openai/v1', '/embeddings')).toBe('http://h/openai/v1/embeddings');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
