// A warm standby (autoscaling.standby) end to end on real processes: llm-d-inference-sim started
// with the flag and environment the operator writes (--enable-sleep-mode, VLLM_SERVER_DEV_MODE=1),
// behind a proxy that answers as vLLM does while asleep (503, and a wake-up that takes time:
// test/stubs/sleep-faithful-replica.ts); the operator's own /sleep call puts it to sleep; a real
// gateway process holds the requests, wakes the replica and answers through the official SDK.
import OpenAI from 'openai';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { putToSleep } from '../../operator/autoscaler/replica-sleep.ts';
import { SERVER_DEV_MODE_ENV, SLEEP_MODE_FLAG } from '../../operator/controllers/model-server/sleep-mode.ts';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { startSleepFaithfulReplica, type SleepFaithfulReplica } from '../stubs/sleep-faithful-replica.ts';
import { replaceMapFile } from '../support/endpoint-map.ts';
import { eventually } from '../support/eventually.ts';
import { startStack, type Stack } from '../support/gateway-stack.ts';

const BASE = 'perpetual-test/standby-7b';
const UNUSED_ENDPOINT = 'http://127.0.0.1:9/v1';
const WAKE_MS = 400;
/** gateway/routes/health.ts keeps a report this long. */
const HEALTH_CACHE_MS = 2000;

let dir: string;
let sim: InferenceSim;
let replica: SleepFaithfulReplica;
const stacks: Stack[] = [];

async function isSleeping(): Promise<boolean> {
  return ((await (await fetch(`${replica.url}/is_sleeping`)).json()) as { is_sleeping: boolean }).is_sleeping;
}

async function putReplicaToSleep(): Promise<void> {
  // The operator's own call, as its autoscaler makes it.
  expect(await putToSleep(`${replica.url}/metrics`, 1, 5000)).toEqual({ ok: true });
  expect(await isSleeping()).toBe(true);
}

async function wakeups(stack: Stack): Promise<string[]> {
  const text = await (await fetch(`${stack.url}/prometheus`)).text();
  return text.split('\n').filter((line) => line.startsWith('perpetual_replica_wakeups_total{'));
}

async function gateway(healthIntervalMs: number): Promise<{ stack: Stack; openai: OpenAI }> {
  const map = join(dir, `endpoints-${String(healthIntervalMs)}.json`);
  replaceMapFile(map, JSON.stringify({ llama: [replica.url] }));
  const stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: {
      mode: 'local',
      models: [{ name: 'llama', modelServer: 'llama', endpoint: UNUSED_ENDPOINT, upstreamModel: BASE, standby: true }],
    },
    env: {
      ENDPOINT_MAP_FILE: map,
      SCALE_TRIGGER: 'log',
      REPLICA_HEALTH_PATH: '/health/ready',
      REPLICA_HEALTH_INTERVAL_MS: String(healthIntervalMs),
    },
  });
  stacks.push(stack);
  const { apiKey } = await stack.newUser('free');
  return { stack, openai: new OpenAI({ apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 }) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'perpetual-standby-'));
  sim = await startInferenceSim({ model: BASE, args: [SLEEP_MODE_FLAG], env: { [SERVER_DEV_MODE_ENV]: '1' } });
  replica = await startSleepFaithfulReplica(sim.url, { wakeMs: WAKE_MS });
});

afterAll(async () => {
  await Promise.all(stacks.map((s) => s.stop()));
  await replica.close();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a gateway in front of a sleeping replica', () => {
  let stack: Stack;
  let openai: OpenAI;
  beforeAll(async () => {
    ({ stack, openai } = await gateway(300));
  });

  it('sees the replica asleep and says so on /health, sending it nothing', async () => {
    await putReplicaToSleep();
    await eventually(
      async () => {
        const health = (await (await fetch(`${stack.url}/health`)).json()) as Record<string, unknown>;
        expect(JSON.stringify(health)).toContain('ModelServer llama: 1 replica asleep (standby: the next request wakes it)');
      },
      5000,
      100,
    );
    expect(replica.refusedAsleep).toBe(0);
  });

  it('holds a chat, wakes the replica and answers it, never sending it to the replica asleep', async () => {
    const before = { wakeUps: replica.wakeUps, served: replica.served };
    const started = Date.now();
    const completion = await openai.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'wake up' }] });
    expect(completion.choices[0]?.message.content).toBe('wake up');
    // Held at least as long as the wake-up took.
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAKE_MS);
    expect(await isSleeping()).toBe(false);
    expect({ wakeUps: replica.wakeUps - before.wakeUps, served: replica.served - before.served, refused: replica.refusedAsleep }).toEqual({
      wakeUps: 1,
      served: 1,
      refused: 0,
    });
    expect(await wakeups(stack)).toEqual(['perpetual_replica_wakeups_total{model_server="llama",outcome="woken"} 1']);
  });

  it('answers at once, without a wake-up, while the replica is awake', async () => {
    const before = replica.wakeUps;
    await openai.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'awake' }] });
    expect(replica.wakeUps).toBe(before);
  });

  it('wakes it for a stream too, and streams the answer', async () => {
    await putReplicaToSleep();
    // /health answers from a two-second cache, which may still hold the first test's sleep.
    await sleep(HEALTH_CACHE_MS + 100);
    await eventually(
      async () => {
        expect(JSON.stringify(await (await fetch(`${stack.url}/health`)).json())).toContain('asleep');
      },
      5000,
      100,
    );
    const stream = await openai.chat.completions.create({
      model: 'llama',
      stream: true,
      messages: [{ role: 'user', content: 'stream me' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('stream me');
    expect(replica.refusedAsleep).toBe(0);
    expect(await wakeups(stack)).toEqual(['perpetual_replica_wakeups_total{model_server="llama",outcome="woken"} 2']);
  });
});

describe('a replica put to sleep between two of the gateway’s health rounds', () => {
  it('answers the request that met its 503 by waking it, instead of failing', async () => {
    // Rounds a minute apart: the gateway still believes the replica awake when the request comes.
    const { stack, openai } = await gateway(60_000);
    expect(await isSleeping()).toBe(false);
    await putReplicaToSleep();
    const refusedBefore = replica.refusedAsleep;
    const completion = await openai.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'race' }] });
    expect(completion.choices[0]?.message.content).toBe('race');
    // Refused at least once (the gateway's one upstream retry may meet it asleep again).
    expect(replica.refusedAsleep - refusedBefore).toBeGreaterThanOrEqual(1);
    expect(await isSleeping()).toBe(false);
    expect(await wakeups(stack)).toEqual(['perpetual_replica_wakeups_total{model_server="llama",outcome="woken"} 1']);
  });
});
