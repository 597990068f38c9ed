// The chat route over HTTP, around a scripted provider: whatever way a request ends after the
// upstream answered (a header that cannot be written, a stream that breaks, a client that leaves),
// the in-flight count it took is given back and the request is accounted.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FailedRequest } from '../chat/accounting.ts';
import { GatewayError } from '../errors.ts';
import type { Principal } from '../middleware/authenticate.ts';
import { errorHandler } from '../middleware/error-handler.ts';
import { requestId } from '../middleware/request-id.ts';
import type { ChatStream, ProviderClient } from '../providers/provider-client.ts';
import type { ChatCompletionChunk } from '../protocols/openai/types.ts';
import { chatCompletionsRoute } from './chat-completions.ts';
import type { ChatDeps } from '../chat/serve-chat.ts';
import { validateChatRequest } from '../chat/validate-request.ts';
import { checkedBody } from '../middleware/checked-body.ts';

const USAGE = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
const principal: Principal = { userId: 'u1', tier: 'pro', limits: { requestsPerMinute: 100, requestsPerDay: 100 }, via: 'api_key' };

function chunk(content: string): ChatCompletionChunk {
  return {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  };
}

/** What the scripted upstream does once it has answered. */
interface Script {
  /** Streams: throw this after the first chunk. */
  breakWith?: Error;
  /** Streams: pause before each chunk. */
  delayMs?: number;
}

let script: Script = {};
let inFlight = 0;
const failed: FailedRequest[] = [];
const completedStatuses: number[] = [];
const upstreamSignals: AbortSignal[] = [];

function chatStream(signal: AbortSignal): ChatStream {
  async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
    for (const text of ['one ', 'two ', 'three']) {
      if (script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
      if (signal.aborted)
        throw new GatewayError('Client closed the request.', { status: 499, type: 'invalid_request_error', code: 'client_closed' });
      yield chunk(text);
      if (script.breakWith) throw script.breakWith;
    }
  }
  return { upstreamRequestId: undefined, usage: () => ({ usage: USAGE, usageEstimated: false }), [Symbol.asyncIterator]: chunks };
}

const provider: ProviderClient = {
  chat: (_req, _target, signal) => {
    upstreamSignals.push(signal);
    return Promise.resolve({
      response: {
        id: 'c1',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
        usage: USAGE,
      },
      usage: USAGE,
      usageEstimated: false,
      upstreamRequestId: undefined,
    });
  },
  chatStream: (_req, _target, signal) => {
    upstreamSignals.push(signal);
    return Promise.resolve(chatStream(signal));
  },
  embeddings: () => Promise.reject(new Error('not scripted')),
};

const deps: ChatDeps = {
  config: {
    mode: 'proxy',
    models: [{ name: 'm', provider: 'openai', upstreamModel: 'm' }],
    providerBaseURLs: { openai: 'http://127.0.0.1:9/v1' },
    prefix: '/v1',
  },
  providerFor: () => provider,
  providerKey: () => Promise.resolve('sk-test'),
  inFlight: () => {
    inFlight++;
    return () => {
      inFlight--;
    };
  },
  accounting: {
    completed: (request) => {
      completedStatuses.push(request.status);
    },
    failed: (request) => {
      failed.push(request);
    },
  },
  log: pino({ level: 'silent' }),
};

/** Makes one response header impossible to write, as a value Node refuses would. */
function headerFails(name: string | undefined) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const original = res.setHeader.bind(res);
    res.setHeader = ((header: string, value: string | number | readonly string[]) => {
      if (header.toLowerCase() === name) throw new TypeError(`Invalid character in header content ["${header}"]`);
      return original(header, value);
    }) as Response['setHeader'];
    next();
  };
}

let server: Server;
let url: string;
let failingHeader: string | undefined;

beforeAll(async () => {
  const app = express();
  app.use(requestId, (_req, res, next) => {
    res.locals.principal = principal;
    next();
  });
  app.use((req, res, next) => {
    headerFails(failingHeader)(req, res, next);
  });
  app.post('/v1/chat/completions', express.json(), checkedBody(validateChatRequest), chatCompletionsRoute(deps));
  app.use(errorHandler(deps.log));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/v1/chat/completions`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  // Each test starts from zero, so one leak fails one test only.
  inFlight = 0;
  script = {};
  failingHeader = undefined;
  failed.length = 0;
  completedStatuses.length = 0;
  upstreamSignals.length = 0;
});

function post(stream: boolean, signal?: AbortSignal): Promise<globalThis.Response> {
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream });
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, ...(signal ? { signal } : {}) });
}

async function settled(): Promise<void> {
  for (let i = 0; i < 100 && (inFlight !== 0 || failed.length + completedStatuses.length === 0); i++)
    await new Promise((r) => setTimeout(r, 10));
}

describe('the in-flight count and the accounting, however a request ends', () => {
  it.each([false, true])(
    'a header that cannot be written after the upstream answered: a proper 500, nothing left in flight (stream: %s)',
    async (stream) => {
      failingHeader = 'x-perpetual-overhead-ms';
      const res = await post(stream);
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { type: 'server_error', code: 'internal_error' } });
      await settled();
      expect(inFlight).toBe(0);
      expect(failed.map((f) => [f.status, f.attempt?.model.name])).toEqual([[500, 'm']]);
      // A stream nobody will read is cancelled upstream, not left open until the body timeout.
      if (stream) expect(upstreamSignals[0]?.aborted).toBe(true);
    },
  );

  it('a stream that completes', async () => {
    const res = await post(true);
    expect(await res.text()).toContain('data: [DONE]');
    await settled();
    expect([inFlight, completedStatuses]).toEqual([0, [200]]);
  });

  it('a stream that breaks after the first chunk', async () => {
    script = {
      breakWith: new GatewayError('Upstream connection lost.', { status: 502, type: 'upstream_error', code: 'upstream_stream_error' }),
    };
    const res = await post(true);
    expect(await res.text()).toContain('"code":"upstream_stream_error"');
    await settled();
    expect([inFlight, completedStatuses]).toEqual([0, [502]]);
  });

  it('a stream that throws something unexpected', async () => {
    script = { breakWith: new RangeError('bug') };
    const res = await post(true);
    expect(await res.text()).toContain('"code":"internal_error"');
    await settled();
    expect([inFlight, completedStatuses]).toEqual([0, [500]]);
  });

  it('a client that leaves mid-stream', async () => {
    script = { delayMs: 50 };
    const controller = new AbortController();
    const res = await post(true, controller.signal);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await settled();
    expect([inFlight, completedStatuses]).toEqual([0, [499]]);
  });
});
