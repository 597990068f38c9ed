// Scale from zero, end to end: from the first request for a model whose ModelServer has no replica
// to the first token of the answer, when the model needs X seconds to become ready.
//
//   node test/bench/scale-from-zero.ts
//   STARTUP_SECONDS=2,5 RUNS=3 node test/bench/scale-from-zero.ts
//
// Everything runs on loopback and is started and stopped here: a private PostgreSQL and Redis and
// the gateway as a real process (local mode, SCALE_TRIGGER=log, replicas from ENDPOINT_MAP_FILE).
// llm-d-inference-sim stands in for vLLM; --startup-duration=X keeps its /health/ready at 503 for X
// seconds, as a server loading weights. Per run, for each X:
//   baseline  a simulator started on its own: from spawning it until /health/ready answers 200
//             (polled every 10 ms), i.e. the model's own time to ready;
//   gateway   a streaming request for the model while its replica list is empty. The benchmark
//             plays the autoscaler: when the gateway logs its scale-from-zero request, it starts a
//             simulator and adds it to the map file (a pod appearing in DNS). Measured: from sending
//             the request until the first content token arrives.
// The goal is gateway < X + 1 s; "added" is gateway minus baseline (trigger, discovery, readiness
// polling, the request itself). The benchmark also watches the gateway's replica itself, so it
// reports how long after the replica was ready the first token came (the gateway's part: readiness
// polling every 100 ms while requests are held, then the request). Medians over RUNS. Timings go
// to stdout only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { startPostgres, type Postgres } from '../harness/postgres.ts';
import { startRedis, type Redis } from '../harness/redis.ts';
import { replaceMapFile } from '../support/endpoint-map.ts';
import { startStack, type Stack } from '../support/gateway-stack.ts';
import { intEnv } from './support/env.ts';

const MODEL = 'cold';
const SIM_MODEL = 'perpetual-bench/cold-7b';
const RUNS = intEnv('RUNS', 3);
const STARTUP_SECONDS = (process.env.STARTUP_SECONDS ?? '2,5').split(',').map((s) => Number(s.trim()));
// How often the gateway polls replicas when nothing is held; the bench waits this long (and a
// margin) after removing a replica so the next run starts from a pool that knows it has none.
const HEALTH_INTERVAL_MS = 500;

interface Running {
  postgres?: Postgres;
  redis?: Redis;
  stack?: Stack;
  sims: InferenceSim[];
  dir: string;
}

interface Sample {
  x: number;
  baselineMs: number;
  gatewayMs: number;
  /** From sending the request until the gateway had asked for a replica. */
  triggerMs: number;
  /** From the replica's /health/ready first answering 200 (seen by this benchmark) to the first token. */
  afterReadyMs: number;
}

function writeMap(path: string, replicas: string[]): void {
  replaceMapFile(path, JSON.stringify({ [MODEL]: replicas }));
}

/** When /health/ready first answers 200 (performance.now()), polled every 10 ms. */
async function readyAt(sim: InferenceSim): Promise<number> {
  for (;;) {
    const res = await fetch(`${sim.url}/health/ready`).catch(() => undefined);
    if (res?.ok) return performance.now();
    await sleep(10);
  }
}

/** The simulator's own time to ready: spawn → /health/ready 200. */
async function baseline(running: Running, x: number): Promise<number> {
  const started = performance.now();
  const sim = await startInferenceSim({ model: SIM_MODEL, startupSeconds: x });
  running.sims.push(sim);
  try {
    return (await readyAt(sim)) - started;
  } finally {
    await sim.stop();
  }
}

function scaleRequests(stack: Stack): number {
  return (stack.gateways[0]?.logs() ?? '').split('\n').filter((line) => line.includes('Scale from zero requested')).length;
}

/** Reads the stream until the first chunk with content; returns when it arrived. */
async function firstToken(res: Response): Promise<number> {
  if (res.status !== 200 || !res.body) throw new Error(`gateway answered ${String(res.status)}: ${await res.text()}`);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended without content: ${text.slice(0, 500)}`);
      text += decoder.decode(value, { stream: true });
      if (/^data: \{.*"content":"[^"]+"/m.test(text)) return performance.now();
    }
  } finally {
    await reader.cancel();
  }
}

interface Bench {
  running: Running;
  stack: Stack;
  apiKey: string;
  mapPath: string;
}

async function throughGateway({ running, stack, apiKey, mapPath }: Bench, x: number): Promise<Omit<Sample, 'x' | 'baselineMs'>> {
  const triggersBefore = scaleRequests(stack);
  const started = performance.now();
  const response = fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hello after a cold start' }], stream: true }),
  });
  const first = response.then(firstToken);
  first.catch(() => undefined);
  while (scaleRequests(stack) === triggersBefore) {
    if (performance.now() - started > 10_000) throw new Error('the gateway never asked for a replica');
    await sleep(5);
  }
  const triggerMs = performance.now() - started;
  const sim = await startInferenceSim({ model: SIM_MODEL, startupSeconds: x });
  running.sims.push(sim);
  writeMap(mapPath, [sim.url]);
  const [ready, token] = await Promise.all([readyAt(sim), first]);
  writeMap(mapPath, []);
  await sim.stop();
  await sleep(3 * HEALTH_INTERVAL_MS);
  return { gatewayMs: token - started, triggerMs, afterReadyMs: token - ready };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function report(samples: Sample[]): void {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    '\n| X (model ready after) | baseline: simulator alone | gateway: request → first token | added | ratio | goal < X + 1 s | replica asked for after | first token after replica ready |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const x of STARTUP_SECONDS) {
    const mine = samples.filter((sample) => sample.x === x);
    const base = median(mine.map((m) => m.baselineMs));
    const gw = median(mine.map((m) => m.gatewayMs));
    const worst = Math.max(...mine.map((m) => m.gatewayMs));
    const trigger = median(mine.map((m) => m.triggerMs));
    const afterReady = median(mine.map((m) => m.afterReadyMs));
    console.log(
      `| ${String(x)} s | ${s(base)} | ${s(gw)} (worst ${s(worst)}) | ${s(gw - base)} | ${(gw / base).toFixed(3)}× | ${worst < (x + 1) * 1000 ? 'met' : 'NOT met'} | ${trigger.toFixed(1)} ms | ${afterReady.toFixed(0)} ms |`,
    );
  }
  const round = (ms: number): number => Math.round(ms * 10) / 10;
  console.log(
    JSON.stringify({
      runs: RUNS,
      samples: samples.map((m) => ({
        x: m.x,
        baselineMs: round(m.baselineMs),
        gatewayMs: round(m.gatewayMs),
        triggerMs: round(m.triggerMs),
        afterReadyMs: round(m.afterReadyMs),
      })),
    }),
  );
}

async function main(): Promise<void> {
  const running: Running = { sims: [], dir: mkdtempSync(join(tmpdir(), 'perpetual-bench-sfz-')) };
  const mapPath = join(running.dir, 'endpoints.json');
  writeMap(mapPath, []);
  try {
    [running.postgres, running.redis] = await Promise.all([startPostgres(), startRedis()]);
    const stack = (running.stack = await startStack({
      postgresUrl: running.postgres.url,
      redisUrl: running.redis.url,
      config: {
        mode: 'local',
        models: [{ name: MODEL, modelServer: MODEL, endpoint: 'http://127.0.0.1:9/v1', upstreamModel: SIM_MODEL }],
        memory: { enabled: false },
      },
      env: {
        LOG_LEVEL: 'info',
        ENDPOINT_MAP_FILE: mapPath,
        SCALE_TRIGGER: 'log',
        REPLICA_HEALTH_PATH: '/health/ready',
        REPLICA_HEALTH_INTERVAL_MS: String(HEALTH_INTERVAL_MS),
      },
    }));
    const { apiKey } = await stack.newUser('enterprise');
    console.log(
      `scale-from-zero: X = ${STARTUP_SECONDS.join(', ')} s, ${String(RUNS)} runs each, gateway polls every 100 ms while requests are held`,
    );
    const samples: Sample[] = [];
    for (let run = 0; run < RUNS; run++) {
      for (const x of STARTUP_SECONDS) {
        const baselineMs = await baseline(running, x);
        const measured = await throughGateway({ running, stack, apiKey, mapPath }, x);
        samples.push({ x, baselineMs, ...measured });
        console.log(
          `run ${String(run + 1)} X=${String(x)} s: baseline ${baselineMs.toFixed(0)} ms, gateway ${measured.gatewayMs.toFixed(0)} ms (asked for a replica after ${measured.triggerMs.toFixed(1)} ms, first token ${measured.afterReadyMs.toFixed(0)} ms after the replica was ready)`,
        );
      }
    }
    report(samples);
  } finally {
    await running.stack?.stop();
    await Promise.allSettled([...running.sims.map((sim) => sim.stop()), running.postgres?.stop(), running.redis?.stop()]);
    rmSync(running.dir, { recursive: true, force: true });
  }
}

await main();
