// Traces end to end, in process: the app createApp builds with tracing on, the real provider client
// and undici transport calling a stub OpenAI upstream on loopback, spans exported over OTLP/HTTP
// JSON to a receiver that decodes them. A client's traceparent comes in; the span tree, the GenAI
// attributes and the traceparent the upstream received are checked, and no span carries the API
// key, the provider key, the prompt or the answer.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey, hashApiKey } from '../auth/api-key.ts';
import { loadConfig } from '../config.ts';
import { KeyRing } from '../crypto/key-ring.ts';
import { LastUsedTracker } from '../keys/last-used.ts';
import { TtlCache } from '../keys/ttl-cache.ts';
import { MemoryService, type RecallRequest } from '../memory/memory-service.ts';
import type { MemoryStore } from '../memory/store/memory-store.ts';
import { requireAdmin, requireApiKey, requireUserJwt } from '../middleware/authenticate.ts';
import { createProviderFor } from '../providers/provider-for.ts';
import { createUpstreamHttp, type UpstreamHttp } from '../providers/transport/upstream-http.ts';
import { createApp, type AppDeps } from '../server.ts';
import type { Store } from '../store.ts';
import { makeMetrics } from './metrics.ts';
import { tracesUrl } from '../../operator/api/v1alpha1/tracing.ts';
import { startTracing, type Tracing } from './tracing.ts';

const ENCRYPTION_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const PROVIDER_KEY = 'sk-provider-key-never-in-a-span';
const PROMPT = 'my secret prompt about the blue heron';
const ANSWER = 'the heron answer';
const apiKey = issueApiKey().key;
const RATE_LIMIT_MS = 30;
const silent = pino({ level: 'silent' });

/** OTLP JSON: ids are hex strings, attribute values typed. */
interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  arrayValue?: { values: OtlpValue[] };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
  links?: { traceId: string; spanId: string }[];
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}
interface OtlpExport {
  resourceSpans: { resource?: { attributes?: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

const exports: { contentType: string | undefined; body: OtlpExport }[] = [];
const upstreamHeaders: IncomingHttpHeaders[] = [];
let receiver: Server;
let upstream: Server;
let gateway: Server;
let base: string;
let tracing: Tracing;
let http: UpstreamHttp;
let lastUsed: LastUsedTracker;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${String((server.address() as AddressInfo).port)}`);
    }),
  );
}

function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req
      .setEncoding('utf8')
      .on('data', (part: string) => {
        text += part;
      })
      .on('end', () => {
        resolve(text);
      })
      .on('error', reject);
  });
}

/** An OpenAI chat completions endpoint: JSON or SSE, with usage. */
function stubUpstream(): Server {
  return createServer((req, res) => {
    upstreamHeaders.push(req.headers);
    void readBody(req).then((text) => {
      const body = JSON.parse(text) as { model: string; stream?: boolean };
      const usage = { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 };
      if (!body.stream) {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion',
            created: 1,
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
            usage,
          }),
        );
        return;
      }
      res.setHeader('content-type', 'text/event-stream');
      const chunk = (delta: object, finish: string | null): string =>
        `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }, null));
      for (const word of ANSWER.split(' ')) res.write(chunk({ content: `${word} ` }, null));
      res.write(chunk({}, 'stop'));
      res.write(
        `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [], usage })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    });
  });
}

/** The real service's write path (batched, with its own linked span) over a store that records; recall scripted. */
const upserts: unknown[] = [];
const memory = new MemoryService({
  store: new Proxy(
    {},
    {
      get: (_target, name) =>
        name === 'upsert'
          ? (points: unknown[]) => {
              upserts.push(...points);
              return Promise.resolve();
            }
          : () => Promise.reject(new Error('not used here')),
    },
  ) as MemoryStore,
  embedderFor: () =>
    Promise.resolve({
      id: 'fake',
      dimension: 2,
      embed: (texts: readonly string[]) => Promise.resolve(texts.map(() => new Float32Array([1, 0]))),
    }),
  settings: { enabled: true, topK: 5, tokenBudget: 1000, retrievalTimeoutMs: 1000, minScore: 0 },
  metrics: makeMetrics(),
  log: silent,
  // Recall runs beside the rate limit (middleware/rate-limit.ts), as with the built-in embedder.
  recallIsFree: true,
});
memory.recall = (request: RecallRequest) =>
  Promise.resolve({
    result: 'hit',
    messages: [{ role: 'system', content: 'Remembered: you like herons.' }, ...request.messages],
    memoryIds: ['m1'],
    memoryTokens: 5,
    retrievalMs: 1,
    calls: 1,
    block: 'Remembered: you like herons.',
  });

beforeAll(async () => {
  receiver = createServer((req, res) => {
    void readBody(req).then((text) => {
      exports.push({ contentType: req.headers['content-type'], body: JSON.parse(text) as OtlpExport });
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  const receiverUrl = await listen(receiver);
  upstream = stubUpstream();
  const upstreamUrl = await listen(upstream);
  const url = tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl });
  tracing = startTracing({ serviceName: 'perpetual-gateway-test', serviceVersion: '9.9.9', ...(url ? { url } : {}) });

  const config = {
    ...loadConfig({ API_KEY_ENCRYPTION_KEY: ENCRYPTION_KEY, MODE: 'proxy' }),
    models: [{ name: 'gpt-test', provider: 'openai', upstreamModel: 'gpt-test-upstream' }],
    providerBaseURLs: { openai: `${upstreamUrl}/v1` },
  };
  http = createUpstreamHttp();
  lastUsed = new LastUsedTracker({ touch: () => Promise.resolve(), log: silent });
  const record = { id: 'key-1', userId: 'user-1', tier: 'custom', rateLimitPerMinute: 100, rateLimitPerDay: 1000 };
  const unused = (): Promise<never> => Promise.reject(new Error('not used here'));
  const deps: AppDeps = {
    config,
    log: silent,
    metrics: makeMetrics(),
    startedAt: Date.now(),
    draining: () => false,
    healthChecks: [],
    auth: {
      apiKey: requireApiKey({
        cache: new TtlCache({ load: (hash) => Promise.resolve(hash === hashApiKey(apiKey) ? record : undefined), ttlMs: 0 }),
        lastUsed,
        config,
      }),
      userJwt: requireUserJwt(undefined),
      admin: requireAdmin(undefined),
    },
    // Redis takes a while: the rate_limit span lasts until the decision, beside the recall.
    rateLimit: () =>
      new Promise((resolve) =>
        setTimeout(() => {
          resolve({});
        }, RATE_LIMIT_MS),
      ),
    chat: {
      config,
      providerFor: createProviderFor(http),
      providerKey: () => Promise.resolve(PROVIDER_KEY),
      accounting: { completed: () => undefined, failed: () => undefined },
      log: silent,
      memory,
    },
    store: new Proxy({}, { get: () => unused }) as Store,
    keyRing: KeyRing.fromEnv(ENCRYPTION_KEY),
    providerKeyChanged: () => undefined,
    revoked: () => Promise.resolve(),
    tracing: true,
  };
  gateway = createApp(deps).listen(0, '127.0.0.1');
  await new Promise((resolve) => gateway.once('listening', resolve));
  base = `http://127.0.0.1:${String((gateway.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  await memory.close(1000);
  await tracing.shutdown();
  await lastUsed.close();
  await http.close();
  for (const server of [gateway, upstream, receiver]) await new Promise((resolve) => server.close(resolve));
});

function allSpans(): OtlpSpan[] {
  return exports.flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
}

/** Every span exported so far, of one trace. */
function spansOf(traceId: string): OtlpSpan[] {
  return allSpans().filter((s) => s.traceId === traceId);
}

function attributes(span: OtlpSpan | undefined): Record<string, unknown> {
  const plain = (v: OtlpValue): unknown =>
    v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.boolValue ?? v.arrayValue?.values.map(plain);
  return Object.fromEntries((span?.attributes ?? []).map((a) => [a.key, plain(a.value)]));
}

async function chat(traceId: string, clientSpanId: string, stream: boolean): Promise<OtlpSpan[]> {
  upstreamHeaders.length = 0;
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, traceparent: `00-${traceId}-${clientSpanId}-01` },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: PROMPT }], stream }),
  });
  const text = await res.text();
  expect(res.status).toBe(200);
  expect(text).toContain(stream ? 'heron' : ANSWER);
  await memory.flush();
  // The server span ends when the response finished, which the client may see first.
  for (let i = 0; i < 50 && !spansOf(traceId).some((s) => s.name.startsWith('POST')); i++) {
    await tracing.flush();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return spansOf(traceId);
}

describe.each([false, true])('a chat (stream: %s) traced to an OTLP receiver', (stream) => {
  const traceId = stream ? '4bf92f3577b34da6a3ce929d0e0e4736' : '0af7651916cd43dd8448eb211c80319c';
  const clientSpanId = stream ? '00f067aa0ba902b7' : 'b7ad6b7169203331';
  let spans: OtlpSpan[] = [];

  beforeAll(async () => {
    spans = await chat(traceId, clientSpanId, stream);
  });

  it("continues the client's trace: the server span is the child of its traceparent, and every other span of the request a child of the server span", () => {
    const server = spans.find((s) => s.name === 'POST /v1/chat/completions');
    expect(server?.parentSpanId).toBe(clientSpanId);
    expect(server?.kind).toBe(2); // SERVER
    expect(attributes(server)).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/chat/completions',
      'http.response.status_code': 200,
    });
    const children = spans
      .filter((s) => s.parentSpanId === server?.spanId)
      .map((s) => s.name)
      .sort();
    expect(children).toEqual(['auth', 'chat gpt-test-upstream', 'memory.recall', 'rate_limit']);
    expect(spans).toHaveLength(5);
    expect(exports.every((e) => e.contentType === 'application/json')).toBe(true);
    const resource = Object.fromEntries(
      (exports[0]?.body.resourceSpans[0]?.resource?.attributes ?? []).map((a) => [a.key, a.value.stringValue]),
    );
    expect(resource).toMatchObject({ 'service.name': 'perpetual-gateway-test', 'service.version': '9.9.9' });
  });

  it('shows the rate limit decided beside the recall: its span lasts until the decision, and overlaps the recall', () => {
    const span = (name: string): { start: bigint; end: bigint } => {
      const found = spans.find((s) => s.name === name);
      if (!found) throw new Error(`no ${name} span`);
      return { start: BigInt(found.startTimeUnixNano), end: BigInt(found.endTimeUnixNano) };
    };
    const limit = span('rate_limit');
    const recall = span('memory.recall');
    const upstreamCall = span('chat gpt-test-upstream');
    expect(limit.end - limit.start).toBeGreaterThanOrEqual(BigInt((RATE_LIMIT_MS - 5) * 1e6));
    expect(recall.start).toBeLessThan(limit.end);
    expect(upstreamCall.start).toBeGreaterThanOrEqual(limit.end);
  });

  it('the upstream call is a client span with the GenAI attributes, and its traceparent is what the upstream received', () => {
    const call = spans.find((s) => s.name === 'chat gpt-test-upstream');
    expect(call?.kind).toBe(3); // CLIENT
    expect(attributes(call)).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-test-upstream',
      'gen_ai.usage.input_tokens': 11,
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.response.finish_reasons': ['stop'],
      'server.address': '127.0.0.1',
    });
    expect(upstreamHeaders.map((h) => h.traceparent)).toEqual([`00-${traceId}-${call?.spanId ?? ''}-01`]);
    expect(attributes(spans.find((s) => s.name === 'memory.recall'))).toMatchObject({
      'perpetual.memory.result': 'hit',
      'perpetual.memory.tokens': 5,
    });
  });

  it('the memory write, done later in a batch, is a span of its own linked to the request', () => {
    const server = spans.find((s) => s.name === 'POST /v1/chat/completions');
    const writes = allSpans().filter(
      (s) => s.name === 'memory.write' && s.links?.some((l) => l.traceId === traceId && l.spanId === server?.spanId),
    );
    expect(writes).toHaveLength(1);
    expect(writes[0]?.traceId).not.toBe(traceId);
    expect(writes[0]?.parentSpanId ?? '').toBe('');
    expect(upserts.length).toBeGreaterThan(0);
  });

  it('carries no key, prompt or answer in any span', () => {
    const text = JSON.stringify([...spans, ...allSpans().filter((s) => s.name === 'memory.write')]);
    for (const secret of [apiKey, PROVIDER_KEY, PROMPT, 'heron', 'Remembered']) expect(text).not.toContain(secret);
  });
});
