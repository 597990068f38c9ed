// Cold start, end to end: from the first request for a model with no replica awake to the first
// token of the answer, along the three paths a ModelServer can take (issue 19):
//
//   node test/bench/scale-from-zero.ts
//   DOWNLOAD_SECONDS=6 LOAD_SECONDS=3 WAKE_MS=500 RUNS=3 node test/bench/scale-from-zero.ts
//
// Everything runs on loopback and is started and stopped here: a private PostgreSQL and Redis and
// the gateway as a real process (local mode, SCALE_TRIGGER=log, replicas from ENDPOINT_MAP_FILE).
// llm-d-inference-sim stands in for vLLM; --startup-duration=X keeps its /health/ready at 503 for X
// seconds, as a server getting its weights ready. The paths, each timed from sending a streaming
// request until the first content token arrives:
//   no preload  scaled from zero; the replica downloads and loads its weights: X = DOWNLOAD + LOAD;
//   preloaded   scaled from zero with cache.preload: the weights are on the volume: X = LOAD;
//               for both, the benchmark plays the autoscaler: when the gateway logs its
//               scale-from-zero request, it starts a simulator and adds it to the map file (a pod
//               appearing in DNS); baseline: a simulator started alone, spawn → /health/ready 200;
//   standby     autoscaling.standby: one replica kept asleep (put to sleep by the operator's own
//               /sleep call) behind test/stubs/sleep-faithful-replica.ts, which answers as vLLM does
//               asleep and takes WAKE_MS to wake; the gateway holds the request and wakes it;
//               baseline: WAKE_MS.
// "added" is the path minus its baseline: what the gateway adds (trigger or wake, discovery,
// readiness polling every 100 ms while requests are held, the request). Medians over RUNS. The
// seconds are inputs, not measurements of vLLM: the point is each path's cost beyond the model's
// own time and the ratio between the paths. Timings go to stdout only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { startPostgres, type Postgres } from '../harness/postgres.ts';
import { startRedis, type Redis } from '../harness/redis.ts';
import { replaceMapFile } from '../support/endpoint-map.ts';
import { startStack, type Stack } from '../support/gateway-stack.ts';
import { putToSleep } from '../../operator/autoscaler/replica-sleep.ts';
import { SERVER_DEV_MODE_ENV, SLEEP_MODE_FLAG } from '../../operator/controllers/model-server/sleep-mode.ts';
import { startSleepFaithfulReplica, type SleepFaithfulReplica } from '../stubs/sleep-faithful-replica.ts';
import { intEnv } from './support/env.ts';

const MODEL = 'cold';
/** The standby path's model: its ModelServer keeps a replica asleep. */
const WARM_MODEL = 'warm';
const SIM_MODEL = 'perpetual-bench/cold-7b';
const RUNS = intEnv('RUNS', 3);
const DOWNLOAD_SECONDS = intEnv('DOWNLOAD_SECONDS', 6);
const LOAD_SECONDS = intEnv('LOAD_SECONDS', 3);
const WAKE_MS = intEnv('WAKE_MS', 500);
/** The scale-from-zero paths: the replica's time to ready with and without its weights preloaded. */
const FROM_ZERO = [
  { path: 'no preload', x: DOWNLOAD_SECONDS + LOAD_SECONDS },
  { path: 'preloaded', x: LOAD_SECONDS },
] as const;
type Path = (typeof FROM_ZERO)[number]['path'] | 'standby';
// How often the gateway polls replicas when nothing is held; the bench waits this long (and a
// margin) after removing a replica so the next run starts from a pool that knows it has none.
const HEALTH_INTERVAL_MS = 500;

interface Running {
  postgres?: Postgres;
  redis?: Redis;
  stack?: Stack;
  sims: InferenceSim[];
  sleeper?: SleepFaithfulReplica;
  dir: string;
}

interface Sample {
  path: Path;
  /** The model's own time: to ready (from zero) or to wake (standby). */
  baselineMs: number;
  gatewayMs: number;
  /** From zero: from sending the request until the gateway had asked for a replica. */
  triggerMs?: number;
  /** From zero: from the replica's /health/ready first answering 200 (seen by this benchmark) to the first token. */
  afterReadyMs?: number;
}

function writeMap(path: string, replicas: string[], sleeper: SleepFaithfulReplica): void {
  replaceMapFile(path, JSON.stringify({ [MODEL]: replicas, [WARM_MODEL]: [sleeper.url] }));
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
  sleeper: SleepFaithfulReplica;
  stack: Stack;
  apiKey: string;
  mapPath: string;
}

function streamingChat({ stack, apiKey }: Bench, model: string): Promise<Response> {
  return fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello after a cold start' }], stream: true }),
  });
}

async function fromZero(bench: Bench, x: number): Promise<Pick<Sample, 'gatewayMs' | 'triggerMs' | 'afterReadyMs'>> {
  const { running, stack, mapPath, sleeper } = bench;
  const triggersBefore = scaleRequests(stack);
  const started = performance.now();
  const first = streamingChat(bench, MODEL).then(firstToken);
  first.catch(() => undefined);
  while (scaleRequests(stack) === triggersBefore) {
    if (performance.now() - started > 10_000) throw new Error('the gateway never asked for a replica');
    await sleep(5);
  }
  const triggerMs = performance.now() - started;
  const sim = await startInferenceSim({ model: SIM_MODEL, startupSeconds: x });
  running.sims.push(sim);
  writeMap(mapPath, [sim.url], sleeper);
  const [ready, token] = await Promise.all([readyAt(sim), first]);
  writeMap(mapPath, [], sleeper);
  await sim.stop();
  await sleep(3 * HEALTH_INTERVAL_MS);
  return { gatewayMs: token - started, triggerMs, afterReadyMs: token - ready };
}

/** The standby path: the replica asleep (as the operator puts it), then a request the gateway must wake it for. */
async function fromStandby(bench: Bench): Promise<Pick<Sample, 'gatewayMs'>> {
  const result = await putToSleep(`${bench.sleeper.url}/metrics`, 1, 5000);
  if (!result.ok) throw new Error(`the replica refused to sleep: ${result.message}`);
  // The gateway reads /is_sleeping every health round: let it see the replica asleep.
  await sleep(3 * HEALTH_INTERVAL_MS);
  const refusedBefore = bench.sleeper.refusedAsleep;
  const started = performance.now();
  const token = await streamingChat(bench, WARM_MODEL).then(firstToken);
  if (bench.sleeper.refusedAsleep !== refusedBefore) throw new Error('the gateway sent a request to the replica asleep');
  return { gatewayMs: token - started };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function report(samples: Sample[]): void {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const noPreload = median(samples.filter((m) => m.path === 'no preload').map((m) => m.gatewayMs));
  console.log(
    "\n| path | the model's own time | request → first token | added by the gateway | vs no preload | replica asked for after | first token after ready |",
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const path of [...FROM_ZERO.map((p) => p.path), 'standby'] as const) {
    const mine = samples.filter((sample) => sample.path === path);
    const base = median(mine.map((m) => m.baselineMs));
    const gw = median(mine.map((m) => m.gatewayMs));
    const worst = Math.max(...mine.map((m) => m.gatewayMs));
    const trigger = mine[0]?.triggerMs === undefined ? '-' : `${median(mine.map((m) => m.triggerMs ?? 0)).toFixed(1)} ms`;
    const afterReady = mine[0]?.afterReadyMs === undefined ? '-' : `${median(mine.map((m) => m.afterReadyMs ?? 0)).toFixed(0)} ms`;
    console.log(
      `| ${path} | ${s(base)} | ${s(gw)} (worst ${s(worst)}) | ${s(gw - base)} | ${(gw / noPreload).toFixed(3)}× | ${trigger} | ${afterReady} |`,
    );
  }
  const round = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.round(ms * 10) / 10);
  console.log(
    JSON.stringify({
      runs: RUNS,
      downloadSeconds: DOWNLOAD_SECONDS,
      loadSeconds: LOAD_SECONDS,
      wakeMs: WAKE_MS,
      samples: samples.map((m) => ({
        path: m.path,
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
  try {
    [running.postgres, running.redis] = await Promise.all([startPostgres(), startRedis()]);
    // The standby's replica: the flag and environment the operator writes for autoscaling.standby.
    const warmSim = await startInferenceSim({ model: SIM_MODEL, args: [SLEEP_MODE_FLAG], env: { [SERVER_DEV_MODE_ENV]: '1' } });
    running.sims.push(warmSim);
    const sleeper = (running.sleeper = await startSleepFaithfulReplica(warmSim.url, { wakeMs: WAKE_MS }));
    writeMap(mapPath, [], sleeper);
    const route = { endpoint: 'http://127.0.0.1:9/v1', upstreamModel: SIM_MODEL };
    const stack = (running.stack = await startStack({
      postgresUrl: running.postgres.url,
      redisUrl: running.redis.url,
      config: {
        mode: 'local',
        models: [
          { name: MODEL, modelServer: MODEL, ...route },
          { name: WARM_MODEL, modelServer: WARM_MODEL, standby: true, ...route },
        ],
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
    const bench: Bench = { running, sleeper, stack, apiKey, mapPath };
    console.log(
      `cold start: download ${String(DOWNLOAD_SECONDS)} s, load ${String(LOAD_SECONDS)} s, wake ${String(WAKE_MS)} ms (simulated), ${String(RUNS)} runs`,
    );
    const samples: Sample[] = [];
    for (let run = 0; run < RUNS; run++) {
      for (const { path, x } of FROM_ZERO) {
        const baselineMs = await baseline(running, x);
        const measured = await fromZero(bench, x);
        samples.push({ path, baselineMs, ...measured });
        console.log(
          `run ${String(run + 1)} ${path} (X=${String(x)} s): baseline ${baselineMs.toFixed(0)} ms, gateway ${measured.gatewayMs.toFixed(0)} ms (asked for a replica after ${(measured.triggerMs ?? 0).toFixed(1)} ms, first token ${(measured.afterReadyMs ?? 0).toFixed(0)} ms after the replica was ready)`,
        );
      }
      const standby = await fromStandby(bench);
      samples.push({ path: 'standby', baselineMs: WAKE_MS, ...standby });
      console.log(`run ${String(run + 1)} standby: wake ${String(WAKE_MS)} ms, gateway ${standby.gatewayMs.toFixed(0)} ms`);
    }
    report(samples);
  } finally {
    await running.stack?.stop();
    await running.sleeper?.close();
    await Promise.allSettled([...running.sims.map((sim) => sim.stop()), running.postgres?.stop(), running.redis?.stop()]);
    rmSync(running.dir, { recursive: true, force: true });
  }
}

await main();
