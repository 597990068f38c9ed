// Local mode across ModelServer replicas, with llm-d-inference-sim processes as the vLLM replicas
// and ENDPOINT_MAP_FILE standing in for cluster DNS (loopback addresses only): least-load and
// session affinity, a replica that dies, and scale from zero (held requests, keep-alives, the
// maximum wait, a full queue, a ModelServer deleted while requests wait). The scale trigger only
// logs here (SCALE_TRIGGER=log); the test plays the autoscaler by starting a simulator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { rendezvousOrder } from '../../gateway/routing/rendezvous.ts';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { replaceMapFile } from '../support/endpoint-map.ts';
import { eventually } from '../support/eventually.ts';
import { startGateway, type GatewayProcess } from '../support/gateway.ts';
import { startStack, type Stack } from '../support/gateway-stack.ts';

const SIM_MODEL = 'perpetual-test/routing-sim';
// Never dialled: the map file is the only source of replicas. A loopback port keeps the gateway's
// /health model check on loopback too.
const UNUSED_ENDPOINT = 'http://127.0.0.1:9/v1';
const MODEL_SERVERS = ['pair', 'flaky', 'cold', 'cold-stream', 'full', 'doomed', 'never'] as const;

let dir: string;
let mapPath: string;
const map: Record<string, string[]> = {};
const sims: InferenceSim[] = [];
let pairA: InferenceSim;
let pairB: InferenceSim;
let flakyC: InferenceSim;
let flakyD: InferenceSim;
let stack: Stack;
let apiKey: string;
const extraGateways: GatewayProcess[] = [];

/** Replaces the map file in one step, as a resolver may read it at any moment. */
function writeMap(): void {
  replaceMapFile(mapPath, JSON.stringify(map));
}

async function sim(options: { startupSeconds?: number } = {}): Promise<InferenceSim> {
  const started = await startInferenceSim({ model: SIM_MODEL, ...options });
  sims.push(started);
  return started;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'perpetual-routing-'));
  mapPath = join(dir, 'endpoints.json');
  [pairA, pairB, flakyC, flakyD] = await Promise.all([sim(), sim(), sim(), sim()]);
  Object.assign(map, {
    pair: [pairA.url, pairB.url],
    flaky: [flakyC.url, flakyD.url],
    cold: [],
    'cold-stream': [],
    full: [],
    doomed: [],
    never: [],
  });
  writeMap();
  const models: Record<string, string>[] = MODEL_SERVERS.map((name) => ({
    name,
    modelServer: name,
    endpoint: UNUSED_ENDPOINT,
    upstreamModel: SIM_MODEL,
  }));
  // The same replicas as "pair", balanced by least-load whatever the conversation.
  models.push({ name: 'pair-ll', modelServer: 'pair', endpoint: UNUSED_ENDPOINT, upstreamModel: SIM_MODEL, routing: 'leastLoad' });
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: { mode: 'local', models },
    env: {
      ENDPOINT_MAP_FILE: mapPath,
      SCALE_TRIGGER: 'log',
      // The simulator's /health answers while it "loads weights"; /health/ready waits for it.
      REPLICA_HEALTH_PATH: '/health/ready',
      // Slow polling when nothing is held: a stopped replica is still believed ready when the
      // next request comes, so the connection failure path is what gets exercised.
      REPLICA_HEALTH_INTERVAL_MS: '10000',
      SCALE_FROM_ZERO_QUEUE_MAX: '2',
      SCALE_FROM_ZERO_KEEPALIVE_MS: '400',
    },
  });
  ({ apiKey } = await stack.newUser('enterprise'));
});

afterAll(async () => {
  await Promise.all(extraGateways.map((g) => g.stop()));
  await stack.stop();
  await Promise.all(sims.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

interface ChatOptions {
  conversationId?: string;
  /** Sent as the body's conversation_id instead of the header. */
  inBody?: boolean;
  stream?: boolean;
  signal?: AbortSignal;
  url?: string;
}

function chat(model: string, content: string, options: ChatOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  if (options.conversationId && !options.inBody) headers['x-conversation-id'] = options.conversationId;
  const body = {
    model,
    messages: [{ role: 'user', content }],
    ...(options.stream ? { stream: true } : {}),
    ...(options.conversationId && options.inBody ? { conversation_id: options.conversationId } : {}),
  };
  return fetch(`${options.url ?? stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

async function answer(res: Response): Promise<string> {
  expect(res.status).toBe(200);
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  return body.choices[0]?.message.content ?? '';
}

/** Completed requests a simulator has counted (vllm:request_success_total). */
async function served(target: InferenceSim): Promise<number> {
  const text = await (await fetch(`${target.url}/metrics`)).text();
  return [...text.matchAll(/^vllm:request_success_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function servedBy(targets: InferenceSim[]): Promise<number[]> {
  return Promise.all(targets.map(served));
}

/** A sample of the gateway's /prometheus, e.g. metric('perpetual_queued_requests', 'cold'). */
async function metric(name: string, model: string, url = stack.url): Promise<number> {
  const text = await (await fetch(`${url}/prometheus`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{model="${model}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

async function setLatency(targets: InferenceSim[], ttft: string): Promise<void> {
  await Promise.all(
    targets.map(async (t) => {
      const res = await fetch(`${t.url}/admin/config`, { method: 'POST', body: JSON.stringify({ 'time-to-first-token': ttft }) });
      expect(res.status).toBe(200);
    }),
  );
}

/** Reads a whole event stream: the raw text and the assistant's content from its chunks. */
async function readStream(res: Response): Promise<{ text: string; content: string }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  let content = '';
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const chunk = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[] };
    content += chunk.choices?.[0]?.delta?.content ?? '';
  }
  return { text, content };
}

function scaleRequests(modelServer: string): number {
  return (stack.gateways[0]?.logs() ?? '')
    .split('\n')
    .filter((l) => l.includes('Scale from zero requested') && l.includes(`"modelServer":"${modelServer}"`)).length;
}

describe('/health in local mode', () => {
  it('reads every ModelServer from its replica pool and names the ones that cannot serve', async () => {
    const health = (await (await fetch(`${stack.url}/health`)).json()) as {
      status: string;
      models_loaded: boolean;
      dependencies: { models?: { ok: boolean; error?: string } };
    };
    // "pair" and "flaky" have ready replicas; "cold" (third in the config) has none yet.
    expect(health).toMatchObject({ status: 'degraded', models_loaded: false, dependencies: { models: { ok: false } } });
    expect(health.dependencies.models?.error).toMatch(
      /^ModelServer cold has no replica \(scaled to zero, or starting\); ModelServer cold-stream/,
    );
  });
});

describe('balancing over ready replicas', () => {
  it('least-load spreads concurrent requests evenly over two replicas and counts them in flight', async () => {
    await setLatency([pairA, pairB], '1500ms');
    try {
      const before = await servedBy([pairA, pairB]);
      const pending = Array.from({ length: 8 }, (_, i) => chat('pair-ll', `spread ${i}`));
      await eventually(
        async () => {
          expect(await metric('perpetual_inflight_requests', 'pair-ll')).toBe(8);
        },
        1200,
        50,
      );
      const replies = await Promise.all(pending.map(async (p) => answer(await p)));
      expect(replies).toEqual(Array.from({ length: 8 }, (_, i) => `spread ${i}`));
      await eventually(async () => {
        const after = await servedBy([pairA, pairB]);
        expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([4, 4]);
      }, 5000);
      expect(await metric('perpetual_inflight_requests', 'pair-ll')).toBe(0);
    } finally {
      await setLatency([pairA, pairB], '0s');
    }
  });

  it('session affinity keeps a conversation on one replica, and different conversations spread', async () => {
    const replicas = [pairA, pairB];
    const ids = (id: string): string | undefined =>
      rendezvousOrder(
        id,
        replicas.map((r) => ({ id: r.url, inFlight: 0 })),
      )[0]?.id;
    const before = await servedBy(replicas);
    for (let i = 0; i < 6; i++)
      expect(await answer(await chat('pair', `turn ${i}`, { conversationId: 'conv-sticky', inBody: i % 2 === 1 }))).toBe(`turn ${i}`);
    const conversations = Array.from({ length: 12 }, (_, i) => `conv-${i}`);
    for (const id of conversations) await answer(await chat('pair', 'hello', { conversationId: id }));
    const expected = replicas.map((r) => (ids('conv-sticky') === r.url ? 6 : 0) + conversations.filter((id) => ids(id) === r.url).length);
    expect(expected.every((n) => n > 0)).toBe(true);
    await eventually(async () => {
      const after = await servedBy(replicas);
      expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual(expected);
    }, 5000);
  });

  it('a stopped replica costs clients nothing: requests go to the other one, which keeps them afterwards', async () => {
    const pool = [flakyC, flakyD];
    const preferred = (id: string): string | undefined =>
      rendezvousOrder(
        id,
        pool.map((r) => ({ id: r.url, inFlight: 0 })),
      )[0]?.id;
    const toDead = Array.from({ length: 40 }, (_, i) => `dead-${i}`)
      .filter((id) => preferred(id) === flakyD.url)
      .slice(0, 4);
    expect(toDead).toHaveLength(4);
    const before = await served(flakyC);
    await flakyD.stop();
    for (const id of toDead) expect(await answer(await chat('flaky', `still here ${id}`, { conversationId: id }))).toBe(`still here ${id}`);
    for (let i = 0; i < 4; i++) expect(await answer(await chat('flaky', `anyone ${i}`))).toBe(`anyone ${i}`);
    await eventually(async () => {
      expect((await served(flakyC)) - before).toBe(8);
    }, 5000);
    // One failover: the first request found the replica dead, the rest were routed around it.
    expect(await metric('perpetual_replica_failovers_total', 'flaky')).toBe(1);
    expect(stack.gateways[0]?.logs()).toContain('routing around it');
  });
});

describe('scale from zero', () => {
  it('holds a request while the ModelServer has no replica, asks for one at once, and serves it when one is ready', async () => {
    const started = Date.now();
    const pending = chat('cold', 'worth the wait');
    await eventually(
      async () => {
        expect(await metric('perpetual_queued_requests', 'cold')).toBe(1);
        expect(scaleRequests('cold')).toBe(1);
      },
      5000,
      50,
    );
    const replica = await sim({ startupSeconds: 2 });
    map.cold = [replica.url];
    writeMap();
    const res = await pending;
    expect(await answer(res)).toBe('worth the wait');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    // The wait is reported on its own and is not counted as gateway overhead.
    expect(Number(res.headers.get('x-perpetual-held-ms'))).toBeGreaterThanOrEqual(1500);
    expect(Number(res.headers.get('x-perpetual-overhead-ms'))).toBeLessThan(1000);
    expect(await metric('perpetual_queued_requests', 'cold')).toBe(0);
    expect(await (await fetch(`${stack.url}/prometheus`)).text()).toContain(
      'perpetual_scale_from_zero_requests_total{model_server="cold"} 1',
    );
  });

  it('streams keep-alive comments to a held streaming client, then the answer', async () => {
    const res = await chat('cold-stream', 'streamed after the wait', { stream: true });
    // The stream starts when the wait begins.
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reading = readStream(res);
    await new Promise((r) => setTimeout(r, 900));
    const replica = await sim({ startupSeconds: 2 });
    map['cold-stream'] = [replica.url];
    writeMap();
    const { text, content } = await reading;
    expect(content).toBe('streamed after the wait');
    const beforeData = text.slice(0, text.indexOf('data:'));
    expect(beforeData.match(/^: waiting for a model replica$/gm)?.length).toBeGreaterThanOrEqual(3);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it("answers a 503 with Retry-After in OpenAI's shape after the maximum wait, streaming or not", async () => {
    const gateway = await startGateway({ ...stack.env, SCALE_FROM_ZERO_TIMEOUT_MS: '1500' });
    extraGateways.push(gateway);
    const started = Date.now();
    const res = await chat('never', 'anyone?', { url: gateway.url });
    const waited = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    const body = (await res.json()) as { error: { type: string; code: string; message: string; param: null } };
    expect(body.error).toMatchObject({ type: 'service_unavailable_error', code: 'model_starting_timeout', param: null });
    expect(body.error.message).toMatch(/"never" had no ready replica within 2 s/);
    expect(waited).toBeGreaterThanOrEqual(1500);
    expect(waited).toBeLessThan(5000);

    const stream = await chat('never', 'anyone?', { url: gateway.url, stream: true });
    expect(stream.status).toBe(200);
    const { text } = await readStream(stream);
    expect(text).toContain(': waiting for a model replica');
    expect(text).toContain('"code":"model_starting_timeout"');
    expect(await metric('perpetual_queued_requests', 'never', gateway.url)).toBe(0);
  });

  it('refuses with a 503 when the queue is full, and a client that leaves frees its place at once', async () => {
    const controller = new AbortController();
    const held = [chat('full', 'one', { signal: controller.signal }), chat('full', 'two', { signal: controller.signal })];
    for (const p of held) p.catch(() => undefined);
    await eventually(
      async () => {
        expect(await metric('perpetual_queued_requests', 'full')).toBe(2);
      },
      5000,
      50,
    );
    const refused = await chat('full', 'three');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('model_starting_queue_full');
    controller.abort();
    await eventually(
      async () => {
        expect(await metric('perpetual_queued_requests', 'full')).toBe(0);
      },
      1000,
      50,
    );
  });

  it('answers held requests at once when the gateway shuts down, so clients retry elsewhere, and still exits 0', async () => {
    const gateway = await startGateway(stack.env);
    extraGateways.push(gateway);
    const pending = chat('never', 'before the shutdown', { url: gateway.url });
    await eventually(
      async () => {
        expect(await metric('perpetual_queued_requests', 'never', gateway.url)).toBe(1);
      },
      5000,
      50,
    );
    const signalledAt = Date.now();
    gateway.process.kill('SIGTERM');
    const res = await pending;
    // Not after the grace period (SHUTDOWN_GRACE_MS) or the hold timeout (120 s), and not a reset.
    expect(Date.now() - signalledAt).toBeLessThan(2000);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('gateway_shutting_down');
    expect(await gateway.exited).toBe(0);
  });

  it('holds embeddings like chat, and a client that leaves frees its place at once', async () => {
    const controller = new AbortController();
    const pending = fetch(`${stack.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'never', input: 'held' }),
      signal: controller.signal,
    });
    pending.catch(() => undefined);
    await eventually(
      async () => {
        expect(await metric('perpetual_queued_requests', 'never')).toBe(1);
      },
      5000,
      50,
    );
    controller.abort();
    await eventually(
      async () => {
        expect(await metric('perpetual_queued_requests', 'never')).toBe(0);
      },
      1000,
      50,
    );
  });

  it('answers held requests at once when their ModelServer is deleted', async () => {
    const pending = chat('doomed', 'too late');
    await eventually(
      async () => {
        expect(await metric('perpetual_queued_requests', 'doomed')).toBe(1);
      },
      5000,
      50,
    );
    const removedAt = Date.now();
    delete map.doomed;
    writeMap();
    const res = await pending;
    expect(Date.now() - removedAt).toBeLessThan(1500);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('model_server_not_found');
    expect(body.error.message).toContain('ModelServer "doomed" no longer exists');
    // And a new request does not wait at all.
    const again = await chat('doomed', 'still?');
    expect(again.status).toBe(503);
  });
});
