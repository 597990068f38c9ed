// Requests that end badly must leave nothing behind. Model names that cannot travel in a header
// (`gpt-模型`, a newline, a NUL) are refused with a 400 before any upstream is called; and after
// failures of every kind (upstream errors before the first byte, streams cut mid-way, clients that
// leave, requests refused before routing) perpetual_inflight_requests is back to zero, in proxy
// mode and in local mode, where the same release also ends the replica's lease (observed here as
// least-load still splitting concurrent requests evenly afterwards). The gateway is a real process
// in front of the protocol stubs; in local mode two OpenAI stubs play a ModelServer's replicas.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { startOpenAIUpstream, type OpenAIUpstream, type OpenAIUpstreamBehaviour } from '../stubs/openai-upstream.ts';
import { replaceMapFile } from '../support/endpoint-map.ts';
import { eventually } from '../support/eventually.ts';
import { startStack, USER_ANTHROPIC_KEY, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

// Never dialled: the map file is the only source of replicas.
const UNUSED_ENDPOINT = 'http://127.0.0.1:9/v1';
const UNSAFE_NAMES = ['gpt-模型', 'gpt-4o\nx-injected: 1', 'gpt-4o\u0000'];

let proxy: Stack;
let local: Stack;
let replicas: OpenAIUpstream[];
let dir: string;
let proxyKey: string;
let localKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'perpetual-inflight-'));
  const mapPath = join(dir, 'endpoints.json');
  replicas = await Promise.all([startOpenAIUpstream(), startOpenAIUpstream()]);
  replaceMapFile(mapPath, JSON.stringify({ pool: replicas.map((r) => new URL(r.url).origin) }));
  const postgresUrl = inject('postgresUrl');
  const redisUrl = inject('redisUrl');
  [proxy, local] = await Promise.all([
    startStack({
      postgresUrl,
      redisUrl,
      config: {
        mode: 'proxy',
        models: [
          { name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' },
          { name: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
        ],
      },
    }),
    startStack({
      postgresUrl,
      redisUrl,
      config: {
        mode: 'local',
        models: [{ name: 'pool-ll', modelServer: 'pool', endpoint: UNUSED_ENDPOINT, upstreamModel: 'gpt-stub', routing: 'leastLoad' }],
      },
      // The stubs answer GET /v1/models; slow polling, so probes never interleave with the script.
      env: { ENDPOINT_MAP_FILE: mapPath, SCALE_TRIGGER: 'log', REPLICA_HEALTH_PATH: '/v1/models', REPLICA_HEALTH_INTERVAL_MS: '10000' },
    }),
  ]);
  ({ apiKey: proxyKey } = await proxy.newUser('enterprise'));
  expect((await proxy.addProviderKey(proxyKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
  expect((await proxy.addProviderKey(proxyKey, 'anthropic', USER_ANTHROPIC_KEY)).status).toBe(201);
  ({ apiKey: localKey } = await local.newUser('enterprise'));
});

afterAll(async () => {
  await Promise.all([proxy.stop(), local.stop(), ...replicas.map((r) => r.close())]);
  rmSync(dir, { recursive: true, force: true });
});

interface Call {
  stack: Stack;
  apiKey: string;
  path: '/v1/chat/completions' | '/v1/messages' | '/v1/embeddings';
  body: Record<string, unknown>;
  signal?: AbortSignal;
}

function send({ stack, apiKey, path, body, signal }: Call): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

function chatBody(model: string, stream: boolean): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: 'one two three four' }], stream };
}

function messagesBody(model: string, stream: boolean): Record<string, unknown> {
  return { model, max_tokens: 50, messages: [{ role: 'user', content: 'one two three four' }], stream };
}

/** Every sample of perpetual_inflight_requests, whatever its model label. */
async function inFlight(stack: Stack): Promise<number[]> {
  const text = await (await fetch(`${stack.url}/prometheus`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('perpetual_inflight_requests{'))
    .map((l) => Number(l.split(' ').pop()));
}

async function expectNothingInFlight(stack: Stack): Promise<void> {
  await eventually(
    async () => {
      expect((await inFlight(stack)).filter((n) => n !== 0)).toEqual([]);
    },
    3000,
    50,
  );
}

/** Reads the response to its end; a stream the gateway ends with an error event reads fine too. */
async function drain(res: Response): Promise<string> {
  return res.text().catch(() => '');
}

/** Sends the call and leaves once the first bytes of the answer arrived (or after `ms` when none do). */
async function leaveEarly(call: Call, ms = 300): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort();
  }, ms);
  try {
    const res = await send({ ...call, signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await reader.read().catch(() => undefined);
  } catch {
    // The abort itself.
  } finally {
    clearTimeout(timer);
  }
}

function upstreamCalls(): number {
  return proxy.openai.requests.length + proxy.anthropic.requests.length;
}

describe('model names that are not header-safe', () => {
  it.each(
    UNSAFE_NAMES.flatMap(
      (name) =>
        [
          [name, false],
          [name, true],
        ] as const,
    ),
  )('%j (stream: %s) is a 400 naming "model" on every endpoint, before any upstream call', async (name, stream) => {
    const before = upstreamCalls();
    const chat = await send({ stack: proxy, apiKey: proxyKey, path: '/v1/chat/completions', body: chatBody(name, stream) });
    expect(chat.status).toBe(400);
    expect(await chat.json()).toMatchObject({
      error: {
        type: 'invalid_request_error',
        code: 'invalid_model',
        param: 'model',
        message: expect.stringMatching(/^"model" must be 1 to 256 characters, only ASCII letters/) as string,
      },
    });

    const messages = await send({
      stack: proxy,
      apiKey: proxyKey,
      path: '/v1/messages',
      body: messagesBody(name.replace('gpt', 'claude'), stream),
    });
    expect(messages.status).toBe(400);
    expect(await messages.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/^model: must be/) as string },
    });

    const embeddings = await send({
      stack: proxy,
      apiKey: proxyKey,
      path: '/v1/embeddings',
      body: { model: name.replace('gpt-4o', 'text-embedding-3-small'), input: 'x' },
    });
    expect(embeddings.status).toBe(400);
    expect(await embeddings.json()).toMatchObject({ error: { code: 'invalid_model', param: 'model' } });

    expect(upstreamCalls()).toBe(before);
    await expectNothingInFlight(proxy);
  });

  it('a valid name is echoed unchanged in x-perpetual-model', async () => {
    const res = await send({ stack: proxy, apiKey: proxyKey, path: '/v1/chat/completions', body: chatBody('gpt-4o-mini', false) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-perpetual-model')).toBe('gpt-4o-mini');
    await drain(res);
  });
});

describe('perpetual_inflight_requests after failures of every kind', () => {
  /** Runs `run` with the stubs scripted by `behaviour` on top of their own (e.g. the accepted key). */
  async function withBehaviour(stubs: OpenAIUpstream[], behaviour: OpenAIUpstreamBehaviour, run: () => Promise<void>): Promise<void> {
    const originals = stubs.map((stub) => stub.behaviour);
    stubs.forEach((stub, i) => {
      stub.behaviour = { ...originals[i], ...behaviour };
    });
    try {
      await run();
    } finally {
      stubs.forEach((stub, i) => {
        stub.behaviour = originals[i] ?? {};
      });
    }
  }

  it('proxy mode: upstream errors, cut streams, clients that leave, refusals before routing', async () => {
    const call = (path: Call['path'], body: Record<string, unknown>): Call => ({ stack: proxy, apiKey: proxyKey, path, body });
    const statuses: number[] = [];
    const status = async (c: Call): Promise<void> => {
      const res = await send(c);
      statuses.push(res.status);
      await drain(res);
    };
    // An upstream 5xx (after its retries) and a 4xx, before the first byte, streamed or not.
    await withBehaviour([proxy.openai], { failFirst: { count: 100, status: 500 } }, async () => {
      await status(call('/v1/chat/completions', chatBody('gpt-4o-mini', false)));
      await status(call('/v1/chat/completions', chatBody('gpt-4o-mini', true)));
      await status(call('/v1/messages', messagesBody('gpt-4o-mini', true)));
    });
    await withBehaviour([proxy.openai], { failFirst: { count: 100, status: 400 } }, async () => {
      await status(call('/v1/chat/completions', chatBody('gpt-4o-mini', true)));
      await status(call('/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' }));
    });
    // Streams cut by the upstream after the first chunk, in both dialects.
    await withBehaviour([proxy.openai], { cutAfterChunks: 1 }, async () => {
      await status(call('/v1/chat/completions', chatBody('gpt-4o-mini', true)));
      await status(call('/v1/messages', messagesBody('gpt-4o-mini', true)));
    });
    // Clients that leave mid-stream, and while the upstream has not answered at all.
    await withBehaviour([proxy.openai], { delayMs: 200 }, async () => {
      await leaveEarly(call('/v1/chat/completions', chatBody('gpt-4o-mini', true)));
      await leaveEarly(call('/v1/messages', messagesBody('gpt-4o-mini', true)));
    });
    await withBehaviour([proxy.openai], { hang: true }, async () => {
      await leaveEarly(call('/v1/chat/completions', chatBody('gpt-4o-mini', false)));
      await leaveEarly(call('/v1/chat/completions', chatBody('gpt-4o-mini', true)));
    });
    // Refused before routing: an unknown model, a bad body, a provider without the user's key.
    await status(call('/v1/chat/completions', chatBody('no-such-model', true)));
    await status(call('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [] }));
    await status(call('/v1/chat/completions', chatBody('groq/llama-3.1-8b-instant', true)));
    // Five upstream errors and three refusals are statuses; the two cut streams had started (200).
    expect(statuses.filter((s) => s >= 400)).toHaveLength(8);
    await expectNothingInFlight(proxy);
    // And the gateway still serves.
    const ok = await send(call('/v1/chat/completions', chatBody('gpt-4o-mini', true)));
    expect(await drain(ok)).toContain('data: [DONE]');
    await expectNothingInFlight(proxy);
  });

  it('local mode: the same failures end the replica leases too, so least-load still splits evenly', async () => {
    const call = (path: Call['path'], body: Record<string, unknown>): Call => ({ stack: local, apiKey: localKey, path, body });
    const status = async (c: Call): Promise<number> => {
      const res = await send(c);
      await drain(res);
      return res.status;
    };
    // The replica answers 404 for the upstream model: an upstream error after the lease was taken.
    await withBehaviour(replicas, { models: ['another-model'] }, async () => {
      expect(await status(call('/v1/chat/completions', chatBody('pool-ll', false)))).toBe(404);
      await status(call('/v1/chat/completions', chatBody('pool-ll', true)));
      await status(call('/v1/messages', messagesBody('pool-ll', true)));
    });
    await withBehaviour(replicas, { cutAfterChunks: 1 }, async () => {
      for (let i = 0; i < 2; i++) await status(call('/v1/chat/completions', chatBody('pool-ll', true)));
      await status(call('/v1/messages', messagesBody('pool-ll', true)));
    });
    await withBehaviour(replicas, { delayMs: 200 }, async () => {
      for (let i = 0; i < 2; i++) await leaveEarly(call('/v1/chat/completions', chatBody('pool-ll', true)));
      await leaveEarly(call('/v1/chat/completions', chatBody('pool-ll', false)), 100);
    });
    await expectNothingInFlight(local);

    // Leases left behind on one replica would send every new request to the other.
    await withBehaviour(replicas, { delayMs: 800 }, async () => {
      const before = replicas.map((r) => r.requests.filter((q) => q.method === 'POST').length);
      const replies = await Promise.all(
        Array.from({ length: 4 }, async () => status(call('/v1/chat/completions', chatBody('pool-ll', false)))),
      );
      expect(replies).toEqual([200, 200, 200, 200]);
      const after = replicas.map((r, i) => r.requests.filter((q) => q.method === 'POST').length - (before[i] ?? 0));
      expect(after).toEqual([2, 2]);
    });
    await expectNothingInFlight(local);
  });
});
