// The chat use case without any HTTP server: a scripted provider, a recording responder, recording
// accounting and memory. What a request leaves behind (headers, the answer, the stream's events,
// usage rows, memories) for each way it can go.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelRoute } from '../config.ts';
import { GatewayError } from '../errors.ts';
import type { MemoryService, RecallRequest, RememberRequest } from '../memory/memory-service.ts';
import type { Principal } from '../middleware/authenticate.ts';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../protocols/openai/types.ts';
import type {
  ChatResult,
  ChatStream,
  EmbeddingsResult,
  ProviderClient,
  ProviderTarget,
  UsageReport,
} from '../providers/provider-client.ts';
import { ReplicaPool } from '../routing/replica-pool.ts';
import { ReplicaRouter } from '../routing/replica-router.ts';
import type { CompletedRequest, FailedRequest } from './accounting.ts';
import type { Caller } from './caller.ts';
import type { Responder } from './responder.ts';
import { NO_EXTENSIONS, serveConversation, serveUpstream, type ChatDeps } from './serve-chat.ts';

const silent = pino({ level: 'silent' });
const USAGE = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
const principal: Principal = {
  userId: 'u1',
  tier: 'pro',
  limits: { requestsPerMinute: 10, requestsPerDay: 10 },
  via: 'api_key',
  keyId: 'k1',
};
const ext = { conversationId: 'conv-1', memory: { enabled: undefined, topK: undefined, conversationOnly: false } };

function chatResult(content: string, model = 'm'): ChatResult {
  return {
    response: {
      id: 'c1',
      object: 'chat.completion',
      created: 1,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: USAGE,
    },
    usage: USAGE,
    usageEstimated: false,
    upstreamRequestId: undefined,
  };
}

function chunk(content: string): ChatCompletionChunk {
  return {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  };
}

function streamOf(texts: string[]): ChatStream {
  async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
    for (const text of texts) yield chunk(text);
    await Promise.resolve();
  }
  return { upstreamRequestId: undefined, usage: () => ({ usage: USAGE, usageEstimated: false }), [Symbol.asyncIterator]: chunks };
}

/** What the provider saw and how it answers; each test sets `answer`. */
interface Upstream {
  calls: { model: string; target: ProviderTarget; messages?: unknown }[];
  /** By upstream model: the answer, or an error to throw. */
  answer: (upstreamModel: string) => Promise<string | Error>;
}

let upstream: Upstream;
const completed: CompletedRequest[] = [];
const failed: FailedRequest[] = [];

afterEach(() => {
  completed.length = 0;
  failed.length = 0;
});

function scripted(answer: Upstream['answer']): ProviderClient {
  upstream = { calls: [], answer };
  const reply = async (req: { model: string }, target: ProviderTarget): Promise<string> => {
    upstream.calls.push({ model: req.model, target, ...('messages' in req ? { messages: req.messages } : {}) });
    const outcome = await upstream.answer(target.upstreamModel);
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  return {
    chat: async (req, target) => chatResult(await reply(req, target)),
    chatStream: async (req, target) => streamOf((await reply(req, target)).split(' ')),
    embeddings: async (req, target): Promise<EmbeddingsResult> => {
      await reply(req, target);
      return {
        response: {
          object: 'list',
          data: [{ object: 'embedding', index: 0, embedding: [0.5, 0.5] }],
          model: req.model,
          usage: { prompt_tokens: 2, total_tokens: 2 },
        },
        usage: { prompt_tokens: 2, completion_tokens: 0, total_tokens: 2 },
        usageEstimated: false,
        upstreamRequestId: undefined,
      };
    },
  };
}

const MODELS: ModelRoute[] = [
  { name: 'm', provider: 'openai', upstreamModel: 'm-upstream', fallback: 'backup' },
  { name: 'backup', provider: 'openai', upstreamModel: 'backup-upstream' },
];

function depsWith(provider: ProviderClient, extra: Partial<ChatDeps> = {}): ChatDeps {
  return {
    config: { mode: 'proxy', models: MODELS, providerBaseURLs: { openai: 'http://127.0.0.1:9/v1' }, prefix: '/v1' },
    providerFor: () => provider,
    providerKey: () => Promise.resolve('sk-user'),
    accounting: { completed: (r) => completed.push(r), failed: (r) => failed.push(r) },
    log: silent,
    ...extra,
  };
}

function caller(signal: AbortSignal = new AbortController().signal): Caller {
  return { principal, requestId: 'req_client', serverRequestId: 'srv-1', startedAt: performance.now(), signal };
}

/** Everything the use case asked the transport to do, in order. */
interface Recorded<Result, Chunk> extends Responder<Result, Chunk> {
  started: boolean;
  headers: Record<string, string>;
  events: string[];
  body: Result | undefined;
}

function recorder<Result, Chunk>(options: { failJson?: Error } = {}): Recorded<Result, Chunk> {
  const recorded: Recorded<Result, Chunk> = {
    headers: {},
    events: [],
    body: undefined,
    started: false,
    setHeaders: (headers) => {
      Object.assign(recorded.headers, headers);
    },
    json: (result) => {
      if (options.failJson) return Promise.reject(options.failJson);
      recorded.body = result;
      return Promise.resolve();
    },
    startStream: (headers) => {
      Object.assign(recorded.headers, headers);
      recorded.started = true;
      recorded.events.push('start');
    },
    keepAlive: (_ms, opts) => {
      if (opts?.now) recorded.events.push(`: ${opts.comment ?? 'keep-alive'}`);
      return () => undefined;
    },
    writer: () => ({
      chunk: (c) => {
        recorded.events.push(`chunk ${JSON.stringify(c)}`);
        return Promise.resolve();
      },
      end: (report: UsageReport) => {
        recorded.events.push(`end ${String(report.usage.total_tokens)}`);
        return Promise.resolve();
      },
      fail: (error) => {
        recorded.events.push(`fail ${error.code}`);
        return Promise.resolve();
      },
    }),
    end: () => {
      recorded.events.push('close');
    },
  };
  return recorded;
}

function conversation(body: Partial<ChatCompletionRequest> = {}) {
  return {
    body: { model: 'm', messages: [{ role: 'user' as const, content: 'hello there' }], ...body },
    ext,
    endUser: 'alice',
    endpoint: 'chat' as const,
  };
}

const overloaded = (): GatewayError =>
  new GatewayError('Upstream overloaded.', { status: 503, type: 'service_unavailable_error', code: 'upstream_unavailable' });

describe('a conversation answered as JSON', () => {
  it('sends the answer with the headers that say how it was served, then accounts for it', async () => {
    const responder = recorder<ChatResult, ChatCompletionChunk>();
    await serveConversation(depsWith(scripted(() => Promise.resolve('hi'))), caller(), conversation(), responder);
    expect(responder.body?.response.choices[0]?.message.content).toBe('hi');
    expect(responder.headers['x-perpetual-model']).toBe('m');
    expect(Number(responder.headers['x-perpetual-overhead-ms'])).toBeGreaterThanOrEqual(0);
    expect(upstream.calls.map((c) => [c.target.upstreamModel, c.target.apiKey])).toEqual([['m-upstream', 'sk-user']]);
    expect(completed.map((r) => [r.status, r.endpoint, r.body.model, r.serverRequestId, r.ext.conversationId])).toEqual([
      [200, 'chat', 'm', 'srv-1', 'conv-1'],
    ]);
    expect(failed).toEqual([]);
  });

  it('goes to the fallback model when the first fails before answering, and names the model that answered', async () => {
    const responder = recorder<ChatResult, ChatCompletionChunk>();
    await serveConversation(
      depsWith(scripted((model) => Promise.resolve(model === 'm-upstream' ? overloaded() : 'from backup'))),
      caller(),
      conversation(),
      responder,
    );
    expect(upstream.calls.map((c) => c.target.upstreamModel)).toEqual(['m-upstream', 'backup-upstream']);
    expect(responder.headers['x-perpetual-model']).toBe('backup');
    expect(completed.map((r) => r.attempt.model.name)).toEqual(['backup']);
  });

  it('throws a failure before the answer for the error handler, with one failed usage row and no headers of an answer', async () => {
    const responder = recorder<ChatResult, ChatCompletionChunk>();
    const refused = new GatewayError('Bad request upstream.', { status: 400, type: 'invalid_request_error', code: 'upstream_bad_request' });
    await expect(serveConversation(depsWith(scripted(() => Promise.resolve(refused))), caller(), conversation(), responder)).rejects.toBe(
      refused,
    );
    expect(upstream.calls).toHaveLength(1);
    expect(failed.map((r) => r.status)).toEqual([400]);
    expect(responder.headers['x-perpetual-model']).toBeUndefined();
  });

  it('accounts an answer that could not be written as failed, with the attempt that was paid for', async () => {
    const responder = recorder<ChatResult, ChatCompletionChunk>({ failJson: new TypeError('cannot write') });
    await expect(serveConversation(depsWith(scripted(() => Promise.resolve('hi'))), caller(), conversation(), responder)).rejects.toThrow(
      'cannot write',
    );
    expect(failed.map((r) => [r.status, r.attempt?.model.name])).toEqual([[500, 'm']]);
    expect(completed).toEqual([]);
  });
});

describe('a conversation answered as a stream', () => {
  it('starts the stream once the upstream answered, relays every chunk, ends it and accounts for it', async () => {
    const responder = recorder<ChatResult, ChatCompletionChunk>();
    await serveConversation(depsWith(scripted(() => Promise.resolve('one two'))), caller(), conversation({ stream: true }), responder);
    expect(responder.events).toEqual([
      'start',
      `chunk ${JSON.stringify(chunk('one'))}`,
      `chunk ${JSON.stringify(chunk('two'))}`,
      'end 5',
      'close',
    ]);
    expect(responder.headers['x-perpetual-model']).toBe('m');
    expect(completed.map((r) => r.status)).toEqual([200]);
  });

  it('times each chunk with text for the token latency histograms, labelled with the model that answered and the endpoint path', async () => {
    const clocks: { model: string; endpoint: string; tokens: number }[] = [];
    const tokenClocks = (model: string, endpoint: string): { token: () => void } => {
      const clock = { model, endpoint, tokens: 0 };
      clocks.push(clock);
      return {
        token: () => {
          clock.tokens += 1;
        },
      };
    };
    const responder = recorder<ChatResult, ChatCompletionChunk>();
    // 'one  two' is three chunks, the middle one without text (as a role or usage chunk is).
    await serveConversation(
      depsWith(
        scripted((model) => Promise.resolve(model === 'm-upstream' ? overloaded() : 'one  two')),
        { tokenClocks },
      ),
      caller(),
      conversation({ stream: true }),
      responder,
    );
    expect(responder.events.filter((e) => e.startsWith('chunk'))).toHaveLength(3);
    expect(clocks).toEqual([{ model: 'backup', endpoint: '/v1/chat/completions', tokens: 2 }]);
  });

  it('a failure before the first byte is still thrown (a proper status), not written into a stream', async () => {
    const responder = recorder<ChatResult, ChatCompletionChunk>();
    await expect(
      serveConversation(
        depsWith(scripted(() => Promise.resolve(new GatewayError('nope', { status: 400, type: 'invalid_request_error', code: 'x' })))),
        caller(),
        conversation({ stream: true }),
        responder,
      ),
    ).rejects.toThrow('nope');
    expect(responder.events).toEqual([]);
    expect(failed.map((r) => r.status)).toEqual([400]);
  });
});

describe('memory', () => {
  function memoryRecorder(): { service: MemoryService; recalls: RecallRequest[]; remembered: RememberRequest[] } {
    const recalls: RecallRequest[] = [];
    const remembered: RememberRequest[] = [];
    const service = {
      recall: (request: RecallRequest) => {
        recalls.push(request);
        return Promise.resolve({
          result: 'hit',
          messages: [{ role: 'system', content: 'You like tea.' }, ...request.messages],
          memoryIds: ['m1', 'm2'],
          memoryTokens: 4,
          retrievalMs: 1.5,
          calls: 1,
        });
      },
      remember: (request: RememberRequest) => {
        remembered.push(request);
      },
    } as unknown as MemoryService;
    return { service, recalls, remembered };
  }

  it("recalls into the body sent upstream, says so in headers, and remembers the turn under the gateway's request id", async () => {
    const memory = memoryRecorder();
    const responder = recorder<ChatResult, ChatCompletionChunk>();
    await serveConversation(
      depsWith(
        scripted(() => Promise.resolve('noted')),
        { memory: memory.service },
      ),
      caller(),
      conversation(),
      responder,
    );
    expect(memory.recalls.map((r) => [r.userId, r.endUser, r.conversationId])).toEqual([['u1', 'alice', 'conv-1']]);
    expect(upstream.calls[0]?.messages).toEqual([
      { role: 'system', content: 'You like tea.' },
      { role: 'user', content: 'hello there' },
    ]);
    expect(responder.headers).toMatchObject({
      'x-perpetual-memory': 'hit',
      'x-perpetual-memory-ids': 'm1,m2',
      'x-perpetual-memory-tokens': '4',
      'x-perpetual-retrieval-ms': '1.50',
    });
    // The turn as the client sent it, not with the recalled memories.
    expect(memory.remembered.map((r) => [r.requestId, r.endUser, r.responseText, r.messages])).toEqual([
      ['srv-1', 'alice', 'noted', [{ role: 'user', content: 'hello there' }]],
    ]);
    expect(completed[0]?.memory).toEqual({ calls: 1, latencyMs: 1.5, tokens: 4 });
  });

  it('remembers nothing when memory is off for the request, or when the answer failed', async () => {
    const memory = memoryRecorder();
    const off = { ...conversation(), ext: { ...ext, memory: { ...ext.memory, enabled: false } } };
    await serveConversation(
      depsWith(
        scripted(() => Promise.resolve('x')),
        { memory: memory.service },
      ),
      caller(),
      off,
      recorder(),
    );
    await expect(
      serveConversation(
        depsWith(
          scripted(() => Promise.resolve(overloaded())),
          { memory: memory.service },
        ),
        caller(),
        conversation({ model: 'backup' }),
        recorder(),
      ),
    ).rejects.toThrow();
    expect(memory.remembered).toEqual([]);
  });
});

describe('a rate limit decided beside the recall (caller.admission)', () => {
  /** An admission the test settles. */
  function pendingAdmission(): { promise: Promise<void>; admit: () => void; refuse: (err: unknown) => void } {
    const { promise, resolve, reject } = Promise.withResolvers<undefined>();
    return {
      promise,
      admit: () => {
        resolve(undefined);
      },
      refuse: reject,
    };
  }

  /** A recall that waits until the test lets it answer, or until its signal aborts. */
  function slowMemory(): { service: MemoryService; signals: AbortSignal[]; answer: () => void } {
    const signals: AbortSignal[] = [];
    let answer = (): void => undefined;
    const service = {
      recall: (request: RecallRequest) => {
        signals.push(request.signal);
        return new Promise((resolve) => {
          const done = (result: string): void => {
            resolve({ result, messages: request.messages, memoryIds: [], memoryTokens: 0, retrievalMs: 1, calls: 1 });
          };
          answer = () => {
            done('empty');
          };
          request.signal.addEventListener('abort', () => {
            done('skipped');
          });
        });
      },
      remember: () => undefined,
    } as unknown as MemoryService;
    return {
      service,
      signals,
      answer: () => {
        answer();
      },
    };
  }

  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  /** A conversation with memory whose admission is still pending. */
  function servingUndecided(responder = recorder<ChatResult, ChatCompletionChunk>()) {
    const memory = slowMemory();
    const admission = pendingAdmission();
    const serving = serveConversation(
      depsWith(
        scripted(() => Promise.resolve('ok')),
        { memory: memory.service },
      ),
      { ...caller(), admission: admission.promise },
      conversation(),
      responder,
    );
    return { memory, admission, serving };
  }

  it('starts the recall at once and sends nothing upstream before the admission', async () => {
    const { memory, admission, serving } = servingUndecided();
    await tick();
    expect(memory.signals).toHaveLength(1);
    memory.answer();
    await tick();
    expect(upstream.calls).toEqual([]);
    admission.admit();
    await serving;
    expect(upstream.calls).toHaveLength(1);
    expect(completed).toHaveLength(1);
  });

  it('refused: cancels the recall and throws the 429, with nothing sent upstream, accounted or remembered', async () => {
    const responder = recorder<ChatResult, ChatCompletionChunk>();
    const { memory, admission, serving } = servingUndecided(responder);
    await tick();
    const refusal = new GatewayError('Rate limit exceeded.', { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    admission.refuse(refusal);
    await expect(serving).rejects.toBe(refusal);
    expect(memory.signals[0]?.aborted).toBe(true);
    expect(upstream.calls).toEqual([]);
    expect([completed.length, failed.length]).toEqual([0, 0]);
    expect(responder.headers).toEqual({});
  });

  it('holds a request without memory (embeddings) until it is admitted too', async () => {
    const admission = pendingAdmission();
    const serving = serveUpstream(
      depsWith(scripted(() => Promise.resolve(''))),
      { ...caller(), admission: admission.promise },
      {
        model: 'm',
        stream: false,
        ext: NO_EXTENSIONS,
        endpoint: 'embeddings',
        calls: () => ({
          json: (client: ProviderClient, target: ProviderTarget) =>
            client.embeddings({ model: 'm', input: 'x' }, target, new AbortController().signal),
          resultText: () => undefined,
          chunkText: () => '',
        }),
      },
      recorder<EmbeddingsResult, never>(),
    );
    await tick();
    expect(upstream.calls).toEqual([]);
    admission.admit();
    await serving;
    expect(upstream.calls).toHaveLength(1);
  });
});

describe('embeddings through the same path', () => {
  it('routes by model name alone, answers JSON, and accounts under /embeddings with no memory', async () => {
    const provider = scripted(() => Promise.resolve(''));
    const responder = recorder<EmbeddingsResult, never>();
    const body = { model: 'm', input: 'vectorise me' };
    const request = {
      model: 'm',
      stream: false,
      ext: NO_EXTENSIONS,
      endpoint: 'embeddings' as const,
      calls: (signal: AbortSignal) => ({
        json: (client: ProviderClient, target: ProviderTarget) => client.embeddings(body, target, signal),
        resultText: () => undefined,
        chunkText: () => '',
      }),
    };
    await serveUpstream(depsWith(provider), caller(), request, responder);
    expect(responder.body?.response.data[0]?.embedding).toEqual([0.5, 0.5]);
    expect(upstream.calls.map((c) => c.target.upstreamModel)).toEqual(['m-upstream']);
    expect(completed.map((r) => [r.endpoint, r.status, r.ext.conversationId, r.memory])).toEqual([
      ['embeddings', 200, undefined, { calls: 0, latencyMs: null, tokens: 0 }],
    ]);
  });
});

describe('a streaming request held while its ModelServer scales from zero', () => {
  it('gets its event stream and the waiting comment before a replica is ready, then the answer in the same stream', async () => {
    let replicas: { id: string; origin: string; baseURL: string; kind: 'pod' }[] = [];
    const pool: ReplicaPool = new ReplicaPool({
      server: { name: 'ms', endpoint: undefined },
      resolver: { resolve: () => Promise.resolve({ state: 'present', replicas }) },
      probe: () => Promise.resolve(true),
      // The replica comes up a moment after the request asked for it.
      trigger: {
        scaleFromZero: () => {
          setTimeout(() => {
            replicas = [{ id: 'r1', origin: 'http://127.0.0.1:9001', baseURL: 'http://127.0.0.1:9001/v1', kind: 'pod' }];
            void pool.refresh();
          }, 30);
          return Promise.resolve();
        },
      },
      settings: { healthIntervalMs: 60_000, unhealthyMs: 60_000, holdTimeoutMs: 5000, queueMax: 10, loadFactor: 1.5 },
      log: silent,
      random: () => 0,
    });
    const router = new ReplicaRouter({
      pools: new Map([['ms', pool]]),
      settings: { policy: 'leastLoad', maxAttempts: 2 },
      log: silent,
      onFailover: () => undefined,
    });
    try {
      await pool.refresh();
      const provider = scripted(() => Promise.resolve('ready now'));
      const deps = depsWith(provider, {
        config: {
          mode: 'local',
          models: [{ name: 'local-m', upstreamModel: 'served', modelServer: 'ms', endpoint: 'http://ms.invalid/v1' }],
          providerBaseURLs: {},
          prefix: '/v1',
        },
        router,
      });
      const responder = recorder<ChatResult, ChatCompletionChunk>();
      await serveConversation(deps, caller(), conversation({ model: 'local-m', stream: true }), responder);
      expect(responder.events.slice(0, 2)).toEqual(['start', ': waiting for a model replica']);
      expect(responder.events.slice(2)).toEqual([
        `chunk ${JSON.stringify(chunk('ready'))}`,
        `chunk ${JSON.stringify(chunk('now'))}`,
        'end 5',
        'close',
      ]);
      expect(upstream.calls.map((c) => c.target.baseURL)).toEqual(['http://127.0.0.1:9001/v1']);
      expect(responder.headers['x-perpetual-model']).toBe('local-m');
      expect(completed.map((r) => [r.status, r.attempt.heldMs > 0])).toEqual([[200, true]]);
    } finally {
      router.close();
    }
  });
});
