// Perpetual next to a peer gateway and to no gateway at all, as a platform team would choose
// between gateways: one fast upstream for all, open-loop fixed-rate load, each gateway on a core
// of its own, targets interleaved over rounds in the same run.
//
//   ./hack/build-binaries.sh && node test/bench/gateway-peers.ts         full run, for a quiet machine (~20 min)
//   SHORT=1 node test/bench/gateway-peers.ts                             quick run (< 1 min of load)
//   RATES=100,500,1000 SECONDS=5 ROUNDS=2 TARGETS=direct,perpetual node test/bench/gateway-peers.ts
//   END_USERS=1 ...             every request for one end user (default 100, in turn)
//   LOADGEN=node ...            the Node generator instead of vegeta (also used when vegeta is not built)
//   QDRANT_TARGET=emulator ...  memory on against the emulator even when the real server is there
//   PROFILE_DIR=/tmp/prof ...   the Perpetual gateways write V8 CPU profiles there
//   GATEWAY_NODE_OPTIONS=--max-semi-space-size=16 ...   flags for the Perpetual gateways' node, on its
//                               command line (so any V8 flag, e.g. --single-threaded-gc, which
//                               NODE_OPTIONS refuses)
//   VARIANTS='default=;semi32=--max-semi-space-size=32' ...   instead of one "perpetual" target, one
//                               per variant (perpetual:default, perpetual:semi32), each with its own
//                               V8 flags after GATEWAY_NODE_OPTIONS, interleaved like any targets:
//                               settings compared in the same run
//   GATEWAY_LOG_DIR=/tmp/logs ...   each Perpetual gateway's whole output (its logs, and V8's lines
//                               when GATEWAY_NODE_OPTIONS asks for --trace-gc) to <dir>/<target>.log
//
// Targets, all answering POST /v1/chat/completions with the same bodies (OpenAI's `user` names
// one of END_USERS end users, in turn):
//   direct          the upstream itself: the floor;
//   perpetual       the gateway as in production with memory off: API key lookup with its cache,
//                   per-key Redis limits (minute and day, one round trip), the user's provider key
//                   decrypted (BYOK), usage rows batched into PostgreSQL, metrics, LOG_LEVEL=warn;
//   perpetual-mem   the same with long-term memory on (deployment defaults: recall before the
//                   upstream call, the exchange remembered after it), against the real Qdrant
//                   server beside the repository when there is one, else the in-repo emulator;
//   portkey         Portkey's open-source gateway (@portkey-ai/gateway, a devDependency), headless,
//                   provider openai with the upstream as its custom host: no auth, no limits, no
//                   usage log.
// The upstream is test/bench/support/fast-upstream.ts in a process of its own, answering at once
// with fixed bytes. Where `taskset` exists and there are at least two cores, every gateway runs
// on core 0 and everything else (the upstream, the load generator, this process, PostgreSQL,
// Redis, the emulator) on core 1, so a gateway's number is what one core of it does.
//
// Load: vegeta (hack/build-binaries.sh builds it from its Go module) at each rate for SECONDS,
// open loop (see support/open-loop.ts). Each round goes through the rates in increasing order;
// at each rate every target runs once, in an order that rotates, with a pause in between. A
// target that collapsed in a round (errors, or p99 over a second) is not pushed to higher rates
// in that round: past collapse only the queue is measured, and it would slow the next target.
// Streaming time to first byte: the Node generator (vegeta has no first-byte time) at
// STREAM_RATE, per round, stream: true with include_usage.
//
// Reported per target and rate, over all rounds: p50/p90/p95/p99/max latency, errors, CPU seconds
// of the target's own process per 1,000 requests and its RSS after the run; each as a ratio to
// direct and to portkey at the same rate; the highest rate with p99 < 20 ms and no errors. The
// machine is shared in development: absolute numbers are noisy, ratios within one run less so.
// Timings go to stdout only; the test suite never asserts on them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, REPO_ROOT, stopProcess, waitFor } from '../harness/processes.ts';
import { startPostgres, type Postgres } from '../harness/postgres.ts';
import { startQdrantServer, type QdrantServer } from '../harness/qdrant.ts';
import { startRedis, type Redis } from '../harness/redis.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';
import { nodeAttack, vegetaAttack, type Shot, type ShotResult } from './support/open-loop.ts';
import { processCpuSeconds, processPreemptions, processRssBytes } from './support/process-usage.ts';
import { intEnv } from './support/env.ts';
import { percentile, round3 } from './support/stats.ts';

const SHORT = process.env.SHORT === '1';
const RATES = listEnv('RATES', SHORT ? [100, 500, 1000] : [100, 200, 300, 500, 750, 1000, 1500, 2000]);
const SECONDS = intEnv('SECONDS', SHORT ? 2 : 10);
const ROUNDS = intEnv('ROUNDS', SHORT ? 1 : 3);
const STREAM_RATE = intEnv('STREAM_RATE', 100);
const STREAM_SECONDS = intEnv('STREAM_SECONDS', SHORT ? 2 : 5);
const WARMUP_SECONDS = intEnv('WARMUP_SECONDS', SHORT ? 1 : 3);
const PAUSE_MS = intEnv('PAUSE_MS', SHORT ? 300 : 1000);
const TARGETS = process.env.TARGETS ? process.env.TARGETS.split(',') : ['direct', 'perpetual', 'perpetual-mem', 'portkey'];
const PROFILE_DIR = process.env.PROFILE_DIR;
/** V8 flags for the Perpetual gateways (e.g. heap sizes), to compare settings in one command. */
const GATEWAY_NODE_OPTIONS = process.env.GATEWAY_NODE_OPTIONS ?? '';
/**
 * Node's event-loop delay histogram records the whole interval between its timer's runs, so every
 * value includes the sampling interval (prom-client's default, 10 ms, in the gateway's metrics):
 * what is reported here is the delay beyond it.
 */
const LOOP_SAMPLING_MS = 10;

const GATEWAY_LOG_DIR = process.env.GATEWAY_LOG_DIR;
/** name=flags pairs, separated by ';': Perpetual (memory off) once per variant. */
const VARIANTS = (process.env.VARIANTS ?? '')
  .split(';')
  .filter((v) => v.trim() !== '')
  .map((v) => {
    const at = v.indexOf('=');
    if (at < 1) throw new Error('VARIANTS: name=flags pairs separated by ";"');
    return { name: v.slice(0, at).trim(), nodeOptions: v.slice(at + 1).trim() };
  });
const VEGETA = join(REPO_ROOT, '.bin/vegeta');
const LOADGEN = process.env.LOADGEN === 'node' || !existsSync(VEGETA) ? 'node' : 'vegeta';
const PORTKEY_SERVER = join(REPO_ROOT, 'node_modules/@portkey-ai/gateway/build/start-server.js');
/** A tail this long means the target is queueing, not serving: do not push it harder this round. */
const COLLAPSED_P99_MS = 1000;
/** The goal line of issue 18. */
const GOOD_P99_MS = 20;

const MODEL = 'gpt-4o-mini';
const MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant. Answer briefly.' },
  { role: 'user', content: 'What is the capital of France?' },
];
/**
 * Requests speak for END_USERS end users in turn (OpenAI's `user`). With memory on, each end user's
 * memories are their own: one end user would pile every exchange of the run into one scope and
 * measure a recall over thousands of copies of the same question, which no real tenant has.
 */
const END_USERS = intEnv('END_USERS', 100);
const USERS = Array.from({ length: END_USERS }, (_, i) => `bench-end-user-${String(i)}`);
const CHAT_BODIES = USERS.map((user) => JSON.stringify({ model: MODEL, messages: MESSAGES, max_tokens: 64, user }));
const STREAM_BODIES = USERS.map((user) =>
  JSON.stringify({ model: MODEL, messages: MESSAGES, max_tokens: 64, user, stream: true, stream_options: { include_usage: true } }),
);

function listEnv(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  const values = raw.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`${name} must be positive integers, comma-separated`);
  return values.sort((a, b) => a - b);
}

interface Target {
  name: string;
  /** The process charged for CPU and RSS: the gateway's, or the upstream's for direct. */
  pid: number;
  chat: Shot;
  stream: Shot;
  /** Perpetual's Prometheus endpoint: its event-loop delay and GC time per run. */
  metricsUrl?: string;
}

/** One target at one rate in one round. */
interface Run {
  results: ShotResult[];
  cpuSeconds: number;
  rssBytes: number;
  /** Times the kernel preempted the target's event-loop thread during the run (other load on its core). */
  preemptions: number;
  /** From the gateway's own metrics (Perpetual only), over this run. */
  runtime: Runtime | undefined;
}

/** Where a gateway's tail comes from: its event loop stalls (monitorEventLoopDelay) and GC pauses. */
interface Runtime {
  loopP99Ms: number;
  loopMaxMs: number;
  gcMs: number;
  majorGcs: number;
  /** V8's heap after the run: used in all spaces, and used in the old generation. */
  heapUsedMb: number;
  oldSpaceMb: number;
  /**
   * Chat requests the gateway took over 10 ms for (arrival to last byte), and of them those where
   * its own time (that minus the upstream call) was over 10 ms: tells a slow upstream from a slow
   * gateway. Counts of the run, from the gateway's request-duration and overhead histograms.
   */
  over10Ms: number;
  over10MsInGateway: number;
}

// ---------------------------------------------------------------------------------------------
// Cores

const PINNED = pinningAvailable();

function pinningAvailable(): boolean {
  return navigator.hardwareConcurrency >= 2 && spawnSync('taskset', ['-V']).status === 0;
}

/** Moves every thread of `pid` to one core (children started later inherit it). */
function pin(pid: number, core: number): void {
  if (!PINNED) return;
  const result = spawnSync('taskset', ['-a', '-c', '-p', String(core), String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`taskset failed for ${String(pid)}: ${result.stderr}`);
}

// ---------------------------------------------------------------------------------------------
// What runs

interface Running {
  postgres?: Postgres;
  redis?: Redis;
  qdrant?: QdrantServer;
  upstream?: ChildProcess;
  portkey?: ChildProcess;
  stacks: Stack[];
  /** The target name of each of `stacks`, in order. */
  stackNames: string[];
  dir: string;
}

/** A Node child that announces itself on its first line of output (its URL). */
function startChild(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const firstLine = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`${args[0] ?? ''} exited (${String(code)})`));
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
  });
  return { child, firstLine };
}

async function startUpstream(running: Running): Promise<string> {
  const { child, firstLine } = startChild([join(import.meta.dirname, 'support/fast-upstream.ts')], process.env);
  running.upstream = child;
  return await firstLine;
}

async function startPortkey(running: Running, upstreamUrl: string): Promise<Target | undefined> {
  if (!existsSync(PORTKEY_SERVER)) {
    console.log(`portkey: skipped (${PORTKEY_SERVER} is missing: npm ci installs the devDependency)`);
    return undefined;
  }
  const port = await freePort();
  const child = spawn(process.execPath, [PORTKEY_SERVER, `--port=${String(port)}`, '--headless'], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  running.portkey = child;
  pin(child.pid ?? 0, 0);
  const url = `http://127.0.0.1:${String(port)}/v1/chat/completions`;
  const headers = {
    authorization: `Bearer ${USER_OPENAI_KEY}`,
    'content-type': 'application/json',
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': upstreamUrl,
  };
  await waitFor('portkey', async () => (await fetch(url, { method: 'POST', headers, body: CHAT_BODIES[0] })).ok, { timeoutMs: 20_000 });
  return target('portkey', child.pid ?? 0, url, headers);
}

function target(name: string, pid: number, url: string, headers: Record<string, string>): Target {
  const all = { 'content-type': 'application/json', ...headers };
  return {
    name,
    pid,
    chat: { url, headers: all, bodies: CHAT_BODIES, expect: 'Paris' },
    stream: { url, headers: all, bodies: STREAM_BODIES, expect: '[DONE]' },
  };
}

/** `as`: the target's name, and V8 flags of its own (a variant) after GATEWAY_NODE_OPTIONS. */
async function startPerpetual(
  running: Running,
  as: { name: string; nodeOptions?: string },
  upstreamUrl: string,
  memory: 'off' | 'emulator' | QdrantServer,
): Promise<Target> {
  const { name, nodeOptions: variantOptions = '' } = as;
  const limits = { requestsPerMinute: 100_000_000, requestsPerDay: 100_000_000 };
  const profile = PROFILE_DIR ? join(PROFILE_DIR, name.replace(':', '-')) : undefined;
  if (profile) mkdirSync(profile, { recursive: true });
  const nodeOptions = [GATEWAY_NODE_OPTIONS, variantOptions, profile ? `--cpu-prof --cpu-prof-dir=${profile}` : ''].join(' ').trim();
  const stack = await startStack({
    postgresUrl: running.postgres?.url ?? '',
    redisUrl: running.redis?.url ?? '',
    memory: memory === 'emulator',
    config: {
      mode: 'proxy',
      models: [
        { name: MODEL, provider: 'openai', upstreamModel: MODEL, pricing: { inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.6 } },
      ],
      tiers: { enterprise: limits },
      memory: memory === 'off' ? { enabled: false } : { enabled: true },
    },
    env: {
      // Per-request logging at info would measure the pipe to this process, not the gateway.
      LOG_LEVEL: 'warn',
      OPENAI_BASE_URL: upstreamUrl,
      ...(typeof memory === 'object' ? { QDRANT_URL: memory.url, QDRANT_API_KEY: memory.apiKey } : {}),
    },
    // On node's command line rather than in NODE_OPTIONS, which refuses most V8 flags.
    nodeFlags: nodeOptions.split(/\s+/).filter(Boolean),
  });
  running.stacks.push(stack);
  running.stackNames.push(name);
  const gateway = stack.gateways[0];
  if (!gateway?.process.pid) throw new Error('the gateway did not start');
  pin(gateway.process.pid, 0);
  const user = await stack.newUser('enterprise');
  const added = await stack.addProviderKey(user.apiKey, 'openai', USER_OPENAI_KEY);
  if (!added.ok) throw new Error(`adding the provider key failed: ${String(added.status)} ${await added.text()}`);
  return {
    ...target(name, gateway.process.pid, `${stack.url}/v1/chat/completions`, { authorization: `Bearer ${user.apiKey}` }),
    metricsUrl: `${stack.url}/metrics`,
  };
}

/** The real Qdrant beside the repository, unless QDRANT_TARGET=emulator or there is none. */
async function vectorStore(running: Running): Promise<'emulator' | QdrantServer> {
  if (process.env.QDRANT_TARGET === 'emulator') return 'emulator';
  const server = await startQdrantServer();
  if (!server) return 'emulator';
  running.qdrant = server;
  return server;
}

async function startAll(running: Running): Promise<{ targets: Target[]; store: string }> {
  // Everything this process starts from now on inherits core 1; the gateways are moved to core 0.
  pin(process.pid, 1);
  const [postgres, redis, upstreamUrl] = await Promise.all([startPostgres(), startRedis(), startUpstream(running)]);
  running.postgres = postgres;
  running.redis = redis;
  const wanted = (name: string): boolean => TARGETS.includes(name);
  const targets: Target[] = [];
  if (wanted('direct'))
    targets.push(
      target('direct', running.upstream?.pid ?? 0, `${upstreamUrl}/chat/completions`, { authorization: `Bearer ${USER_OPENAI_KEY}` }),
    );
  if (wanted('perpetual') && VARIANTS.length === 0) targets.push(await startPerpetual(running, { name: 'perpetual' }, upstreamUrl, 'off'));
  if (wanted('perpetual'))
    for (const variant of VARIANTS)
      targets.push(
        await startPerpetual(running, { name: `perpetual:${variant.name}`, nodeOptions: variant.nodeOptions }, upstreamUrl, 'off'),
      );
  let store = 'none';
  if (wanted('perpetual-mem')) {
    const vectors = await vectorStore(running);
    store = vectors === 'emulator' ? 'the Qdrant emulator (in the benchmark process, core 1)' : 'a real Qdrant server (core 1)';
    targets.push(await startPerpetual(running, { name: 'perpetual-mem' }, upstreamUrl, vectors));
  }
  if (wanted('portkey')) {
    const portkey = await startPortkey(running, upstreamUrl);
    if (portkey) targets.push(portkey);
  }
  return { targets, store };
}

async function stopAll(running: Running): Promise<void> {
  await Promise.allSettled(running.stacks.map((s) => s.stop()));
  await Promise.allSettled([
    running.portkey ? stopProcess(running.portkey) : undefined,
    running.upstream ? stopProcess(running.upstream) : undefined,
    running.postgres?.stop(),
    running.redis?.stop(),
    running.qdrant?.stop(),
  ]);
  rmSync(running.dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Load {
  shot: Shot;
  rate: number;
  seconds: number;
  loadgen: 'vegeta' | 'node';
}

async function attack(t: Target, { shot, rate, seconds, loadgen }: Load, dir: string): Promise<Run> {
  // prom-client resets its event-loop delay histogram on every scrape: this one starts the run's.
  const before = t.metricsUrl ? await runtimeMetrics(t.metricsUrl) : undefined;
  const cpuBefore = processCpuSeconds(t.pid);
  const preemptedBefore = processPreemptions(t.pid);
  const results = loadgen === 'vegeta' ? await vegetaAttack(VEGETA, shot, { rate, seconds }, dir) : await nodeAttack(shot, rate, seconds);
  const cpuSeconds = processCpuSeconds(t.pid) - cpuBefore;
  const preemptions = processPreemptions(t.pid) - preemptedBefore;
  const after = t.metricsUrl ? await runtimeMetrics(t.metricsUrl) : undefined;
  const runtime =
    before && after
      ? {
          loopP99Ms: after.loopP99Ms,
          loopMaxMs: after.loopMaxMs,
          gcMs: after.gcMs - before.gcMs,
          majorGcs: after.majorGcs - before.majorGcs,
          heapUsedMb: after.heapUsedMb,
          oldSpaceMb: after.oldSpaceMb,
          over10Ms: after.over10Ms - before.over10Ms,
          over10MsInGateway: after.over10MsInGateway - before.over10MsInGateway,
        }
      : undefined;
  return { results, cpuSeconds, rssBytes: processRssBytes(t.pid), preemptions, runtime };
}

/** From Perpetual's /prometheus: Node's default metrics (prefix perpetual_gateway_) and the chat latency histograms. */
async function runtimeMetrics(url: string): Promise<Runtime> {
  const text = await (await fetch(url)).text();
  const value = (pattern: RegExp): number => [...text.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
  // Observations of a /v1/chat/completions histogram above its 10 ms bucket (prom-client writes `le` first).
  const chat = 'endpoint="/v1/chat/completions"';
  const overTenMs = (histogram: string): number =>
    value(new RegExp(`^${histogram}_count\\{${chat}\\} (\\S+)$`, 'gm')) -
    value(new RegExp(`^${histogram}_bucket\\{le="0\\.01",${chat}\\} (\\S+)$`, 'gm'));
  return {
    loopP99Ms: value(/^perpetual_gateway_nodejs_eventloop_lag_p99_seconds (\S+)$/gm) * 1000 - LOOP_SAMPLING_MS,
    loopMaxMs: value(/^perpetual_gateway_nodejs_eventloop_lag_max_seconds (\S+)$/gm) * 1000 - LOOP_SAMPLING_MS,
    gcMs: value(/^perpetual_gateway_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm) * 1000,
    majorGcs: value(/^perpetual_gateway_nodejs_gc_duration_seconds_count\{kind="major"[^}]*\} (\S+)$/gm),
    heapUsedMb: value(/^perpetual_gateway_nodejs_heap_size_used_bytes (\S+)$/gm) / 2 ** 20,
    oldSpaceMb: value(/^perpetual_gateway_nodejs_heap_space_size_used_bytes\{space="old"\} (\S+)$/gm) / 2 ** 20,
    over10Ms: overTenMs('perpetual_request_duration_seconds'),
    over10MsInGateway: overTenMs('perpetual_overhead_seconds'),
  };
}

function collapsed(run: Run): boolean {
  const errors = run.results.filter((r) => !r.ok).length;
  return errors > 0 || percentile(latencies(run.results), 99) > COLLAPSED_P99_MS;
}

function latencies(results: readonly ShotResult[]): number[] {
  return results.filter((r) => r.ok).map((r) => r.latencyMs);
}

/** runs[target][rate] over all rounds; stream[target] likewise. */
interface Measured {
  runs: Map<string, Map<number, Run[]>>;
  stream: Map<string, Run[]>;
  /** Rates a target was not run at in some round (collapsed below them). */
  skipped: Map<string, Set<number>>;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const n = by % items.length;
  return [...items.slice(n), ...items.slice(0, n)];
}

/** One target at one rate, printed as it goes. */
async function measureOne(t: Target, rate: number, round: number, dir: string): Promise<Run> {
  await sleep(PAUSE_MS);
  const run = await attack(t, { shot: t.chat, rate, seconds: SECONDS, loadgen: LOADGEN }, dir);
  const s = summarise([run]);
  const rt = run.runtime
    ? `  | event loop delay p99 ${ms(run.runtime.loopP99Ms)} max ${ms(run.runtime.loopMaxMs)}, GC ${ms(run.runtime.gcMs)} ms (${String(run.runtime.majorGcs)} major), over 10 ms ${String(run.runtime.over10Ms)} (gateway's own time ${String(run.runtime.over10MsInGateway)}), heap ${run.runtime.heapUsedMb.toFixed(0)} MB (old ${run.runtime.oldSpaceMb.toFixed(0)}), RSS ${(run.rssBytes / 2 ** 20).toFixed(0)} MB`
    : '';
  console.log(
    `round ${String(round)} ${t.name.padEnd(14)} ${String(rate).padStart(5)}/s  p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}  errors ${String(s.errors)}  preempted ${String(run.preemptions)}x${rt}`,
  );
  return run;
}

/** Every rate, rising, every target at each in a rotating order (`turn` counts rotations); then streaming. */
async function measureRound(targets: Target[], round: number, measured: Measured, dir: string): Promise<void> {
  const down = new Set<string>();
  let turn = round * (RATES.length + 1);
  for (const rate of RATES) {
    for (const t of rotate(targets, turn++)) {
      if (down.has(t.name)) {
        measured.skipped.get(t.name)?.add(rate);
        continue;
      }
      const run = await measureOne(t, rate, round, dir);
      measured.runs.get(t.name)?.get(rate)?.push(run);
      if (collapsed(run)) down.add(t.name);
    }
  }
  for (const t of rotate(targets, turn)) {
    await sleep(PAUSE_MS);
    const run = await attack(t, { shot: t.stream, rate: STREAM_RATE, seconds: STREAM_SECONDS, loadgen: 'node' }, dir);
    measured.stream.get(t.name)?.push(run);
  }
}

async function measure(targets: Target[], dir: string): Promise<Measured> {
  const measured: Measured = { runs: new Map(), stream: new Map(), skipped: new Map() };
  for (const t of targets) {
    measured.runs.set(t.name, new Map(RATES.map((rate) => [rate, []])));
    measured.stream.set(t.name, []);
    measured.skipped.set(t.name, new Set());
  }
  // Warm-up: JIT, connection pools, key caches, the first usage flushes. Not counted.
  for (const t of targets) {
    await attack(t, { shot: t.chat, rate: 200, seconds: WARMUP_SECONDS, loadgen: LOADGEN }, dir);
    await attack(t, { shot: t.stream, rate: STREAM_RATE, seconds: 1, loadgen: 'node' }, dir);
  }
  for (let round = 1; round <= ROUNDS; round++) await measureRound(targets, round, measured, dir);
  return measured;
}

// ---------------------------------------------------------------------------------------------
// Reporting

interface Summary {
  requests: number;
  errors: number;
  firstError: string | undefined;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  /** CPU seconds of the target's process per 1,000 requests sent. */
  cpuPer1000: number;
  /** The largest RSS seen after a run, MB. */
  rssMb: number;
}

function summarise(runs: readonly Run[], pick: (r: ShotResult) => number | undefined = (r) => r.latencyMs): Summary {
  const results = runs.flatMap((r) => r.results);
  const values = results.filter((r) => r.ok).flatMap((r) => pick(r) ?? []);
  const failed = results.filter((r) => !r.ok);
  const cpu = runs.reduce((sum, r) => sum + r.cpuSeconds, 0);
  return {
    requests: results.length,
    errors: failed.length,
    firstError: failed[0]?.error,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    cpuPer1000: results.length === 0 ? Number.NaN : (cpu * 1000) / results.length,
    rssMb: Math.max(...runs.map((r) => r.rssBytes)) / 2 ** 20,
  };
}

const ms = (v: number): string => (Number.isNaN(v) ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1)).padStart(7);
const ratio = (a: number, b: number | undefined): string =>
  b === undefined || Number.isNaN(a) || Number.isNaN(b) || b === 0 ? '—'.padStart(6) : `${(a / b).toFixed(2)}x`.padStart(6);

/** Highest rate run in every round with no error and p99 under the goal line, over all rounds together. */
function bestRate(runs: Map<number, Run[]> | undefined, skipped: Set<number> | undefined): number | undefined {
  let best: number | undefined;
  for (const rate of RATES) {
    const these = runs?.get(rate) ?? [];
    if (skipped?.has(rate) || these.length < ROUNDS) break;
    const s = summarise(these);
    if (s.errors > 0 || !(s.p99 < GOOD_P99_MS)) break;
    best = rate;
  }
  return best;
}

type Table = Map<string, Map<number, Summary>>;

function rateLine(table: Table, name: string, rate: number): string {
  const at = (n: string): Summary | undefined => table.get(n)?.get(rate);
  const s = at(name);
  if (!s) return `  ${String(rate).padStart(5)}  (not run: collapsed at a lower rate)`;
  const d = at('direct');
  const p = at('portkey');
  return (
    `  ${String(rate).padStart(5)}  ${ms(s.p50)} ${ms(s.p90)} ${ms(s.p95)} ${ms(s.p99)} ${ms(s.max)}  ${String(s.errors).padStart(6)}  ${s.cpuPer1000.toFixed(3).padStart(6)}  ${s.rssMb.toFixed(0).padStart(6)} |` +
    ` ${ratio(s.p50, d?.p50)} ${ratio(s.p99, d?.p99)} ${ratio(s.cpuPer1000, d?.cpuPer1000)} ${ratio(s.rssMb, d?.rssMb)} |` +
    ` ${ratio(s.p50, p?.p50)} ${ratio(s.p99, p?.p99)} ${ratio(s.cpuPer1000, p?.cpuPer1000)} ${ratio(s.rssMb, p?.rssMb)}` +
    (s.firstError ? `   first error: ${s.firstError.slice(0, 120)}` : '')
  );
}

function bestLine(name: string, best: Map<string, number | undefined>, ttfb: Map<string, Summary>): string {
  const b = best.get(name) ?? Number.NaN;
  const f = ttfb.get(name);
  const first = f?.p50 ?? Number.NaN;
  return (
    `  ${name.padEnd(14)} ${Number.isNaN(b) ? `< ${String(RATES[0])}` : String(b)}/s` +
    `  (÷direct ${ratio(b, best.get('direct'))}, ÷portkey ${ratio(b, best.get('portkey'))})` +
    `   TTFB p50 ${ms(first)} p99 ${ms(f?.p99 ?? Number.NaN)} errors ${String(f?.errors ?? 0)}` +
    `  (p50 ÷direct ${ratio(first, ttfb.get('direct')?.p50)} ÷portkey ${ratio(first, ttfb.get('portkey')?.p50)})` +
    (f?.firstError ? `   first error: ${f.firstError.slice(0, 120)}` : '')
  );
}

function report(targets: Target[], measured: Measured, store: string): void {
  const table: Table = new Map();
  for (const t of targets) {
    const perRate = new Map<number, Summary>();
    for (const [rate, runs] of measured.runs.get(t.name) ?? []) if (runs.length > 0) perRate.set(rate, summarise(runs));
    table.set(t.name, perRate);
  }
  console.log(
    `\nlatency in ms from the scheduled send to the last byte; cpu = CPU seconds of the target's own process per 1,000 requests; ` +
      `÷direct and ÷portkey at the same rate (— where that target did not run at it)`,
  );
  for (const t of targets) {
    console.log(`\n${t.name}`);
    console.log(
      '   rate      p50     p90     p95     p99     max  errors  cpu/1k  RSS MB | p50÷d  p99÷d  cpu÷d  rss÷d | p50÷pk p99÷pk cpu÷pk rss÷pk',
    );
    for (const rate of RATES) console.log(rateLine(table, t.name, rate));
  }
  console.log(
    `\nhighest rate with p99 < ${String(GOOD_P99_MS)} ms and no errors (every round), and streaming time to first byte at ${String(STREAM_RATE)}/s:`,
  );
  const best = new Map(targets.map((t) => [t.name, bestRate(measured.runs.get(t.name), measured.skipped.get(t.name))]));
  const ttfb = new Map(targets.map((t) => [t.name, summarise(measured.stream.get(t.name) ?? [], (r) => r.firstByteMs)]));
  for (const t of targets) console.log(bestLine(t.name, best, ttfb));
  console.log(
    JSON.stringify({
      bench: 'gateway-peers',
      loadgen: LOADGEN,
      pinned: PINNED,
      memoryStore: store,
      rates: RATES,
      seconds: SECONDS,
      rounds: ROUNDS,
      targets: Object.fromEntries(
        targets.map((t) => [
          t.name,
          {
            bestRate: best.get(t.name) ?? null,
            ttfbMs: pickNumbers(ttfb.get(t.name)),
            perRate: Object.fromEntries([...(table.get(t.name) ?? [])].map(([rate, s]) => [rate, pickNumbers(s)])),
          },
        ]),
      ),
    }),
  );
}

function pickNumbers(s: Summary | undefined): Record<string, number> | null {
  if (!s) return null;
  return {
    p50: round3(s.p50),
    p90: round3(s.p90),
    p95: round3(s.p95),
    p99: round3(s.p99),
    max: round3(s.max),
    errors: s.errors,
    cpuPer1000: round3(s.cpuPer1000),
    rssMb: round3(s.rssMb),
  };
}

/**
 * How much the machine itself delays an idle Node process on the gateways' core: the event-loop
 * delay of a child that does nothing for three seconds. On a quiet machine its p99 is a few
 * tenths of a millisecond; more means other load, and no gateway's tail in this run can be better.
 */
async function noiseProbe(): Promise<string> {
  const script =
    `const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: ${String(LOOP_SAMPLING_MS)} }); h.enable();` +
    `const beyond = (ns) => (ns / 1e6 - ${String(LOOP_SAMPLING_MS)}).toFixed(2);` +
    'setTimeout(() => { h.disable(); console.log(`idle Node on core 0: event-loop delay p99 ${beyond(h.percentile(99))} ms, max ${beyond(h.max)} ms`); }, 3000);';
  const { child, firstLine } = startChild(['-e', script], process.env);
  pin(child.pid ?? 0, 0);
  return await firstLine;
}

/** Rejects on Ctrl-C or SIGTERM, so an interrupted run still goes through the cleanup. */
function interruption(): Promise<never> {
  return new Promise((_resolve, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        reject(new Error(`interrupted (${signal})`));
      });
  });
}

async function main(): Promise<void> {
  const running: Running = { stacks: [], stackNames: [], dir: mkdtempSync(join(tmpdir(), 'perpetual-peers-')) };
  const interrupted = interruption();
  const starting = startAll(running);
  try {
    const { targets, store } = await Promise.race([starting, interrupted]);
    console.log(
      `gateway-peers: ${String(navigator.hardwareConcurrency)} CPUs, ${PINNED ? 'gateways pinned to core 0, everything else to core 1' : 'not pinned (no taskset or one core)'}, ` +
        `load by ${LOADGEN}, ${String(ROUNDS)} round(s) of ${String(SECONDS)} s per rate, rates ${RATES.join(', ')}/s; memory on against ${store}`,
    );
    console.log(`noise before: ${await noiseProbe()}`);
    const measured = await Promise.race([measure(targets, running.dir), interrupted]);
    console.log(`noise after: ${await noiseProbe()}`);
    running.stacks.forEach((stack, i) => {
      const logged = stack.gateways[0]?.logs().trim();
      if (GATEWAY_LOG_DIR && logged) {
        mkdirSync(GATEWAY_LOG_DIR, { recursive: true });
        writeFileSync(join(GATEWAY_LOG_DIR, `${(running.stackNames[i] ?? String(i)).replace(':', '-')}.log`), `${logged}\n`);
      } else if (logged && !PROFILE_DIR) console.log(`a gateway logged (level >= warn):\n${logged.slice(0, 1500)}`);
    });
    report(targets, measured, store);
  } finally {
    await Promise.allSettled([starting]);
    await stopAll(running);
  }
}

await main();
