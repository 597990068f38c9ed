// Prefix-aware routing (the default policy) across three llm-d-inference-sim replicas with their
// prefix-cache simulation on, ENDPOINT_MAP_FILE standing in for cluster DNS: requests that share a
// system prompt land on one replica, whose simulated cache then serves the prompt's blocks, until
// that replica passes the load bound; the overflow goes to the others; a conversation id still picks
// its own replica; a replica whose vLLM metrics report a full queue is passed over; every decision
// is counted by reason.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { rendezvousOrder } from '../../gateway/routing/rendezvous.ts';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { replaceMapFile } from '../support/endpoint-map.ts';
import { eventually } from '../support/eventually.ts';
import { startStack, type Stack } from '../support/gateway-stack.ts';

const SIM_MODEL = 'perpetual-test/prefix-sim';
const UNUSED_ENDPOINT = 'http://127.0.0.1:9/v1';
// Two system prompts of about 2,000 characters: many whole prefix blocks each.
const SUPPORT = `You are the support assistant of Example Corp. Answer briefly and politely. ${'Refunds take five business days. '.repeat(60)}`;
const SALES = `You are the sales assistant of Example Corp. Recommend the right plan. ${'The pro plan includes priority support. '.repeat(50)}`;

let dir: string;
let sims: InferenceSim[] = [];
let stack: Stack;
let apiKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'perpetual-prefix-routing-'));
  const mapPath = join(dir, 'endpoints.json');
  sims = await Promise.all([1, 2, 3].map(() => startInferenceSim({ model: SIM_MODEL, kvCache: { blocks: 2048 } })));
  replaceMapFile(mapPath, JSON.stringify({ trio: sims.map((s) => s.url) }));
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    // No routing named: the gateway's default, prefix.
    config: { mode: 'local', models: [{ name: 'shared', modelServer: 'trio', endpoint: UNUSED_ENDPOINT, upstreamModel: SIM_MODEL }] },
    // Health and load (vLLM /metrics) read every 300 ms, so a replica's reported queue is seen quickly.
    env: { ENDPOINT_MAP_FILE: mapPath, SCALE_TRIGGER: 'log', REPLICA_HEALTH_PATH: '/health/ready', REPLICA_HEALTH_INTERVAL_MS: '300' },
  });
  ({ apiKey } = await stack.newUser('enterprise'));
});

afterAll(async () => {
  await stack.stop();
  await Promise.all(sims.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

function chat(system: string, user: string, conversationId?: string): Promise<Response> {
  return fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      ...(conversationId ? { 'x-conversation-id': conversationId } : {}),
    },
    body: JSON.stringify({
      model: 'shared',
      max_tokens: 4,
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
    }),
  });
}

/** A legacy completion (/v1/completions) of a raw prompt. */
function complete(prompt: string | string[]): Promise<Response> {
  return fetch(`${stack.url}/v1/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'shared', max_tokens: 4, prompt }),
  });
}

async function ok(res: Promise<Response>): Promise<void> {
  const response = await res;
  expect(response.status).toBe(200);
  await response.json();
}

/** The sum of a simulator metric's samples, e.g. vllm:request_success_total. */
async function simMetric(sim: InferenceSim, name: string): Promise<number> {
  const text = await (await fetch(`${sim.url}/metrics`)).text();
  const pattern = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm');
  return [...text.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function served(): Promise<number[]> {
  return Promise.all(sims.map((s) => simMetric(s, 'vllm:request_success_total')));
}

/** Requests each replica completed since `before`, once every one of `expected` requests is in. */
async function servedSince(before: number[], expected: number): Promise<number[]> {
  let deltas: number[] = [];
  await eventually(async () => {
    deltas = (await served()).map((n, i) => n - (before[i] ?? 0));
    expect(deltas.reduce((a, b) => a + b, 0)).toBe(expected);
  }, 5000);
  return deltas;
}

/** The gateway's perpetual_routing_decisions_total for model "shared" under the prefix policy. */
async function decisions(reason: string): Promise<number> {
  const text = await (await fetch(`${stack.url}/prometheus`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('perpetual_routing_decisions_total{') &&
        l.includes('model="shared"') &&
        l.includes('policy="prefix"') &&
        l.includes(`reason="${reason}"`),
    );
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

async function setLatency(ttft: string): Promise<void> {
  await Promise.all(
    sims.map(async (s) => {
      const res = await fetch(`${s.url}/admin/config`, { method: 'POST', body: JSON.stringify({ 'time-to-first-token': ttft }) });
      expect(res.status).toBe(200);
    }),
  );
}

describe('prefix-aware routing over simulator replicas', () => {
  let hot = -1;

  it('sends requests sharing a system prompt to one replica, whose prefix cache then serves the prompt', async () => {
    const before = await served();
    const hitsBefore = await Promise.all(sims.map((s) => simMetric(s, 'vllm:prefix_cache_hits')));
    for (let i = 0; i < 8; i++) await ok(chat(SUPPORT, `Question number ${String(i)}: where is my refund?`));
    const deltas = await servedSince(before, 8);
    expect([...deltas].sort()).toEqual([0, 0, 8]);
    hot = deltas.indexOf(8);
    expect(await decisions('least_load')).toBe(1);
    expect(await decisions('prefix_hit')).toBe(7);
    // The simulator's own view: the seven later requests reused the system prompt's cached blocks there.
    const hits = (await simMetric(sims[hot]!, 'vllm:prefix_cache_hits')) - (hitsBefore[hot] ?? 0);
    expect(hits).toBeGreaterThan(7 * 200);
  });

  it('gives another system prompt a replica of its own choice and keeps it there', async () => {
    const before = await served();
    for (let i = 0; i < 4; i++) await ok(chat(SALES, `Which plan for ${String(i + 2)} people?`));
    const deltas = await servedSince(before, 4);
    expect(deltas.filter((n) => n === 4)).toHaveLength(1);
    expect(await decisions('prefix_hit')).toBe(7 + 3);
  });

  it('routes legacy completions sharing a leading text by prefix too, a list of prompts by its text', async () => {
    const header = `# utils.py of Example Corp\n${'import itertools  # shared header\n'.repeat(40)}`;
    const hitsBefore = await decisions('prefix_hit');
    const before = await served();
    for (let i = 0; i < 5; i++) await ok(complete(`${header}def helper_${String(i)}(x):`));
    await ok(complete([`${header}def listed(x):`]));
    const deltas = await servedSince(before, 6);
    expect([...deltas].sort()).toEqual([0, 0, 6]);
    expect((await decisions('prefix_hit')) - hitsBefore).toBe(5);
  });

  it('keeps a shared prompt on its replica until that replica passes 1.5x the mean load, then spills to one more', async () => {
    await setLatency('1500ms');
    try {
      const fallbackBefore = await decisions('saturated_fallback');
      const hitsBefore = await decisions('prefix_hit');
      const before = await served();
      // Nine at once, all in flight together. The hot replica takes the first; the second would put it
      // over ceil(1.5 × 2 / 3) = 1 and goes to an idle replica, which learns the prompt; from then on
      // the two that know it take turns within the bound (ceil(1.5 × (in flight + 1) / 3)), and the
      // third replica stays free for other prompts.
      await Promise.all(Array.from({ length: 9 }, (_, i) => ok(chat(SUPPORT, `Burst ${String(i)}: can I get a refund?`))));
      const deltas = await servedSince(before, 9);
      expect([...deltas].sort()).toEqual([0, 4, 5]);
      expect(deltas[hot]).toBeGreaterThanOrEqual(4);
      expect((await decisions('saturated_fallback')) - fallbackBefore).toBe(1);
      expect((await decisions('prefix_hit')) - hitsBefore).toBe(8);
    } finally {
      await setLatency('0s');
    }
  });

  it('honours x-conversation-id before the prompt: the conversation keeps its own replica', async () => {
    const ids = sims.map((s) => ({ id: new URL(s.url).origin, inFlight: 0 }));
    // Conversations whose replica is not the one holding the shared prompt.
    const conversations = Array.from({ length: 40 }, (_, i) => `conv-${String(i)}`)
      .filter((id) => rendezvousOrder(id, ids)[0]?.id !== ids[hot]?.id)
      .slice(0, 3);
    expect(conversations).toHaveLength(3);
    const sessionBefore = await decisions('session');
    for (const id of conversations) {
      const owner = ids.findIndex((r) => r.id === rendezvousOrder(id, ids)[0]?.id);
      const before = await served();
      await ok(chat(SUPPORT, 'Still waiting for my refund.', id));
      const deltas = await servedSince(before, 1);
      expect(deltas[owner]).toBe(1);
    }
    expect((await decisions('session')) - sessionBefore).toBe(3);
  });

  it("passes over the prompt's replica while its vLLM reports a queue of other clients' requests", async () => {
    const hotSim = sims[hot]!;
    const setHotLatency = async (ttft: string): Promise<void> => {
      const res = await fetch(`${hotSim.url}/admin/config`, { method: 'POST', body: JSON.stringify({ 'time-to-first-token': ttft }) });
      expect(res.status).toBe(200);
    };
    // Ten slow requests straight to the replica, which the gateway never sees: five run (the
    // simulator's --max-num-seqs), five wait, and vllm:num_requests_waiting says so.
    await setHotLatency('3000ms');
    const direct = Array.from({ length: 10 }, (_, i) =>
      fetch(`${hotSim.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: SIM_MODEL, max_tokens: 2, messages: [{ role: 'user', content: `direct ${String(i)}` }] }),
      }),
    );
    try {
      await eventually(async () => {
        expect(await simMetric(hotSim, 'vllm:num_requests_waiting')).toBeGreaterThanOrEqual(5);
      }, 2000);
      // Within two health rounds the gateway has read the queue.
      await new Promise((resolve) => setTimeout(resolve, 800));
      const before = await served();
      for (let i = 0; i < 4; i++) await ok(chat(SUPPORT, `Queued ${String(i)}: is my refund on its way?`));
      const deltas = (await served()).map((n, i) => n - (before[i] ?? 0));
      // The direct requests are still running there (3 s), so every completion counted is the gateway's.
      expect(deltas[hot]).toBe(0);
      expect(deltas.reduce((a, b) => a + b, 0)).toBe(4);
      // Not a lucky tie-break: the gateway read the replica's queue and marked it saturated.
      const saturatedLog = (stack.gateways[0]?.logs() ?? '')
        .split('\n')
        .find((l) => l.includes('Replica reports a full queue or KV cache') && l.includes(new URL(hotSim.url).origin));
      expect(saturatedLog).toBeDefined();
      // (As prefix_hit on the replica that took the burst's overflow and knows the prompt too; the
      // return once the queue drains is in the ReplicaPool unit tests, where ties are not random.)
    } finally {
      await setHotLatency('0s');
      await Promise.all(direct.map(async (p) => (await p).text()));
    }
  });
});
