// What the gateway adds to a chat completion, against the same request sent straight to the
// upstream in the same run.
//
//   node test/bench/gateway-overhead.ts
//   REQUESTS=2000 CONCURRENCY=32 node test/bench/gateway-overhead.ts
//
// Everything runs on loopback and is started and stopped here: a private PostgreSQL and Redis,
// the OpenAI upstream stub answering instantly (in a process of its own; STUB=inprocess keeps it
// in this one), and the gateway as a real process with its real dependencies (API-key cache, Redis
// rate limiter, provider-key decryption, usage log batched into PostgreSQL). Two targets, one HTTP
// client (undici Pools with identical settings):
//   baseline  POST /v1/chat/completions to the stub directly;
//   gateway   the same body through the gateway, which forwards it to the same stub.
// Scenarios, each preceded by warm-up requests that are not counted:
//   chat c=1     sequential, baseline and gateway alternating request by request (which goes
//                first alternates too), so machine noise hits both alike: latency percentiles,
//                added latency = difference of percentiles, and the gateway's own
//                x-perpetual-overhead-ms header (p50, p99);
//   stream c=1   the same with stream: true, time to the first body byte (the first SSE event);
//   responses c=1  the same exchange as a POST /v1/responses (stored, as by default) through the
//                gateway, against the same baseline chat completion straight to the stub;
//   open loop    RATE requests/s per side for PACED_SECONDS (the research target's "at 200 RPS"),
//                sent on schedule whatever the earlier requests are doing: latency percentiles;
//   throughput   CONCURRENCY requests in flight, in ROUNDS alternating rounds per side:
//                requests/s and the ratio gateway/baseline, the gateway's CPU per request, and
//                how many of the machine's cores were busy (all processes, ours or not).
// Timings go to stdout only; the test suite never asserts on them.
import { cpuSnapshot, type Cpu } from './support/cpu.ts';
import { intEnv } from './support/env.ts';
import { percentile, round3 } from './support/stats.ts';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { stopProcess } from '../harness/processes.ts';
import { startPostgres, type Postgres } from '../harness/postgres.ts';
import { startRedis, type Redis } from '../harness/redis.ts';
import { startOpenAIUpstream } from '../stubs/openai-upstream.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

const REQUESTS = intEnv('REQUESTS', 2000); // per side, chat c=1
const STREAM_REQUESTS = intEnv('STREAM_REQUESTS', REQUESTS); // per side, stream c=1
const THROUGHPUT_REQUESTS = intEnv('THROUGHPUT_REQUESTS', 2 * REQUESTS); // per side, in total over the rounds
const RATE = intEnv('RATE', 200); // requests/s per side, open loop
const PACED_SECONDS = intEnv('PACED_SECONDS', 10);
const CONCURRENCY = intEnv('CONCURRENCY', 32);
const ROUNDS = intEnv('ROUNDS', 4);
const WARMUP = intEnv('WARMUP', 200);
/** "inprocess" runs the stub in this process, as startStack does for tests (see startStubProcess). */
const SEPARATE_STUB = process.env.STUB !== 'inprocess';
const STUB_CHILD = 'GATEWAY_OVERHEAD_STUB_CHILD';
/** Set to a directory to have the gateway write a V8 CPU profile there when it stops. */
const PROFILE_DIR = process.env.PROFILE_DIR;

const MODEL = 'gpt-4o-mini';
// A short, realistic exchange: the point is the gateway's fixed cost, not payload size.
const REPLY = 'Hello! The capital of France is Paris. Anything else I can help you with today?';
const MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant. Answer briefly.' },
  { role: 'user', content: 'What is the capital of France?' },
];
const CHAT_BODY = JSON.stringify({ model: MODEL, messages: MESSAGES, max_tokens: 64 });
const STREAM_BODY = JSON.stringify({
  model: MODEL,
  messages: MESSAGES,
  max_tokens: 64,
  stream: true,
  stream_options: { include_usage: true },
});
const RESPONSES_BODY = JSON.stringify({
  model: MODEL,
  instructions: MESSAGES[0]?.content,
  input: MESSAGES[1]?.content,
  max_output_tokens: 64,
});

interface Target {
  name: 'baseline' | 'gateway';
  pool: Pool;
  path: string;
  authorization: string;
}

interface Sample {
  /** Until the last body byte. */
  totalMs: number;
  /** Until the first body byte. */
  firstByteMs: number;
  /** The gateway's x-perpetual-overhead-ms, when present. */
  overheadMs: number | undefined;
}

/** The same pool settings for both sides: one keep-alive connection per request in flight. */
function poolFor(origin: string): Pool {
  return new Pool(origin, { connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
}

async function send(target: Target, body: string): Promise<Sample> {
  const started = performance.now();
  const res = await target.pool.request({
    path: target.path,
    method: 'POST',
    headers: { authorization: target.authorization, 'content-type': 'application/json' },
    body,
  });
  let firstByteMs: number | undefined;
  let text = '';
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    firstByteMs ??= performance.now() - started;
    text += chunk.toString('utf8');
  }
  const totalMs = performance.now() - started;
  // A benchmark of error responses would be meaningless: stop at the first one.
  if (res.statusCode !== 200 || !text.includes('Paris'))
    throw new Error(`${target.name} answered ${res.statusCode}: ${text.slice(0, 500)}`);
  const overhead = res.headers['x-perpetual-overhead-ms'];
  return { totalMs, firstByteMs: firstByteMs ?? totalMs, overheadMs: typeof overhead === 'string' ? Number(overhead) : undefined };
}

/** Sequential requests, alternating targets; the pair's order flips every request. A body per side when the two speak different APIs. */
async function alternating(
  baseline: Target,
  gateway: Target,
  body: string | Record<Target['name'], string>,
  n: number,
): Promise<{ baseline: Sample[]; gateway: Sample[] }> {
  const result = { baseline: [] as Sample[], gateway: [] as Sample[] };
  for (let i = 0; i < n; i++) {
    const order = i % 2 === 0 ? [baseline, gateway] : [gateway, baseline];
    for (const target of order) result[target.name].push(await send(target, typeof body === 'string' ? body : body[target.name]));
  }
  return result;
}

/**
 * Open loop: every 1/rate s one request per side leaves whatever the earlier ones are doing, as
 * independent users' requests do (the research target is stated at 200 RPS). The two sides are
 * offset by half an interval so they do not leave at the same instant.
 */
async function paced(baseline: Target, gateway: Target, rate: number, n: number): Promise<{ baseline: Sample[]; gateway: Sample[] }> {
  const result = { baseline: [] as Sample[], gateway: [] as Sample[] };
  const halfInterval = 500 / rate;
  const started = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < 2 * n; i++) {
    const target = i % 4 === 0 || i % 4 === 3 ? baseline : gateway; // B G G B: each side goes first half the time
    const wait = started + i * halfInterval - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(send(target, CHAT_BODY).then((sample) => result[target.name].push(sample)));
  }
  await Promise.all(inFlight);
  return result;
}

/** n requests with `concurrency` in flight; wall-clock seconds and the samples. */
async function concurrent(target: Target, body: string, n: number): Promise<{ seconds: number; samples: Sample[] }> {
  const samples: Sample[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, n) }, async () => {
      while (next < n) {
        next++;
        samples.push(await send(target, body));
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, samples };
}

function cpuSince(before: Cpu, gatewayPid: number | undefined): Cpu {
  const now = cpuSnapshot(gatewayPid);
  return { process: now.process - before.process, ours: now.ours - before.ours, machine: now.machine - before.machine };
}

function addCpu(a: Cpu, b: Cpu): Cpu {
  return { process: a.process + b.process, ours: a.ours + b.ours, machine: a.machine + b.machine };
}

interface Throughput {
  requests: number;
  seconds: number;
  samples: Sample[];
  /** CPU seconds spent during this side's rounds. */
  cpu: Cpu;
}

async function throughput(baseline: Target, gateway: Target, gatewayPid: number | undefined): Promise<Record<Target['name'], Throughput>> {
  const empty = (): Throughput => ({ requests: 0, seconds: 0, samples: [], cpu: { process: 0, ours: 0, machine: 0 } });
  const result = { baseline: empty(), gateway: empty() };
  const perRound = Math.ceil(THROUGHPUT_REQUESTS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of round % 2 === 0 ? [baseline, gateway] : [gateway, baseline]) {
      const before = cpuSnapshot(gatewayPid);
      const run = await concurrent(target, CHAT_BODY, perRound);
      const side = result[target.name];
      side.cpu = addCpu(side.cpu, cpuSince(before, gatewayPid));
      side.requests += perRound;
      side.seconds += run.seconds;
      side.samples.push(...run.samples);
    }
  }
  return result;
}

const PERCENTILES = [50, 95, 99] as const;

interface Comparison {
  baseline: Record<string, number>;
  gateway: Record<string, number>;
  added: Record<string, number>;
}

function compare(baseline: number[], gateway: number[]): Comparison {
  const out: Comparison = { baseline: {}, gateway: {}, added: {} };
  for (const p of PERCENTILES) {
    const key = `p${String(p)}`;
    // Microseconds are the finest grain that means anything here.
    const b = round3(percentile(baseline, p));
    const g = round3(percentile(gateway, p));
    out.baseline[key] = b;
    out.gateway[key] = g;
    out.added[key] = round3(g - b);
  }
  return out;
}

/** The gateway's own account of its time before the upstream call (x-perpetual-overhead-ms). */
function headerStats(samples: Sample[]): { p50: number; p99: number } {
  const values = samples.flatMap((s) => (s.overheadMs === undefined ? [] : [s.overheadMs]));
  return { p50: percentile(values, 50), p99: percentile(values, 99) };
}

const ms = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(2));
const row = (cells: string[]): string =>
  `${(cells[0] ?? '').padEnd(34)}${cells
    .slice(1)
    .map((c) => c.padStart(11))
    .join('')}`;

function printComparison(title: string, c: Comparison): void {
  console.log(`\n${title}`);
  console.log(row(['', 'baseline', 'gateway', 'added']));
  for (const p of PERCENTILES) {
    const key = `p${String(p)}`;
    console.log(row([`  ${key} (ms)`, ms(c.baseline[key]), ms(c.gateway[key]), ms(c.added[key])]));
  }
}

interface Results {
  chat: Comparison;
  chatHeader: { p50: number; p99: number };
  stream: Comparison;
  streamHeader: { p50: number; p99: number };
  responses: Comparison;
  responsesHeader: { p50: number; p99: number };
  paced: Comparison;
  pacedHeader: { p50: number; p99: number };
  /** All scenarios after the warm-up, to tell how much other load there was. */
  whole: { cpu: Cpu; seconds: number };
  load: Record<Target['name'], Throughput>;
}

/** Average cores busy: 2 means this machine was saturated. */
function cores(cpu: Cpu, seconds: number): { gateway: number; ours: number; others: number } {
  return {
    gateway: round3(cpu.process / seconds),
    ours: round3(cpu.ours / seconds),
    others: round3(Math.max(0, cpu.machine - cpu.ours) / seconds),
  };
}

function throughputSummary(load: Results['load']) {
  const rps = (t: Throughput): number => t.requests / t.seconds;
  return {
    baselineRps: round3(rps(load.baseline)),
    gatewayRps: round3(rps(load.gateway)),
    ratio: round3(rps(load.gateway) / rps(load.baseline)),
    gatewayCpuMsPerRequest: round3((load.gateway.cpu.process * 1000) / load.gateway.requests),
    cores: { baseline: cores(load.baseline.cpu, load.baseline.seconds), gateway: cores(load.gateway.cpu, load.gateway.seconds) },
    latencyMs: compare(
      load.baseline.samples.map((s) => s.totalMs),
      load.gateway.samples.map((s) => s.totalMs),
    ),
  };
}

function summarize(r: Results): Record<string, unknown> {
  return {
    bench: 'gateway-overhead',
    stub: SEPARATE_STUB ? 'process' : 'inprocess',
    requests: REQUESTS,
    streamRequests: STREAM_REQUESTS,
    pacedSeconds: PACED_SECONDS,
    throughputRequests: THROUGHPUT_REQUESTS,
    concurrency: CONCURRENCY,
    cpus: navigatorCpus(),
    otherLoadCores: cores(r.whole.cpu, r.whole.seconds).others,
    chatMs: { baseline: r.chat.baseline, gateway: r.chat.gateway, added: r.chat.added, overheadHeader: r.chatHeader },
    streamFirstByteMs: { baseline: r.stream.baseline, gateway: r.stream.gateway, added: r.stream.added, overheadHeader: r.streamHeader },
    responsesMs: {
      baseline: r.responses.baseline,
      gateway: r.responses.gateway,
      added: r.responses.added,
      overheadHeader: r.responsesHeader,
    },
    pacedMs: { rps: RATE, baseline: r.paced.baseline, gateway: r.paced.gateway, added: r.paced.added, overheadHeader: r.pacedHeader },
    throughput: throughputSummary(r.load),
  };
}

function navigatorCpus(): number {
  return navigator.hardwareConcurrency;
}

function printHeader(h: { p50: number; p99: number }): void {
  console.log(row(['  x-perpetual-overhead-ms p50', '', ms(h.p50)]));
  console.log(row(['  x-perpetual-overhead-ms p99', '', ms(h.p99)]));
}

function printThroughput(t: ReturnType<typeof throughputSummary>): void {
  printComparison(
    `throughput, non-streaming, c=${String(CONCURRENCY)} (${String(THROUGHPUT_REQUESTS)} requests each, ${String(ROUNDS)} rounds): latency`,
    t.latencyMs,
  );
  console.log(row(['  requests/s', t.baselineRps.toFixed(0), t.gatewayRps.toFixed(0), `${t.ratio.toFixed(2)}x`]));
  console.log(row(['  gateway CPU per request (ms)', '', t.gatewayCpuMsPerRequest.toFixed(2)]));
  console.log(row(['  cores busy: gateway process', t.cores.baseline.gateway.toFixed(2), t.cores.gateway.gateway.toFixed(2)]));
  console.log(row(['  cores busy: all of this run', t.cores.baseline.ours.toFixed(2), t.cores.gateway.ours.toFixed(2)]));
  console.log(row(['  cores busy: other processes', t.cores.baseline.others.toFixed(2), t.cores.gateway.others.toFixed(2)]));
}

function report(r: Results): void {
  printComparison(`chat, non-streaming, c=1 (${String(REQUESTS)} requests each): latency`, r.chat);
  printHeader(r.chatHeader);
  printComparison(`chat, streaming, c=1 (${String(STREAM_REQUESTS)} requests each): time to first byte`, r.stream);
  printHeader(r.streamHeader);
  printComparison(
    `/v1/responses (gateway) vs chat (baseline), non-streaming, c=1 (${String(REQUESTS)} requests each): latency`,
    r.responses,
  );
  printHeader(r.responsesHeader);
  printComparison(
    `chat, non-streaming, open loop at ${String(RATE)} requests/s per side (${String(RATE * PACED_SECONDS)} requests each): latency`,
    r.paced,
  );
  printHeader(r.pacedHeader);
  const t = throughputSummary(r.load);
  printThroughput(t);
  const x = (c: Comparison, key: string): string => `${((c.gateway[key] ?? Number.NaN) / (c.baseline[key] ?? Number.NaN)).toFixed(2)}x`;
  console.log(
    `\nratios gateway/baseline: chat c=1 p50 ${x(r.chat, 'p50')}, p99 ${x(r.chat, 'p99')}; stream first byte p50 ${x(r.stream, 'p50')}, p99 ${x(r.stream, 'p99')}; ` +
      `responses c=1 p50 ${x(r.responses, 'p50')}, p99 ${x(r.responses, 'p99')}; ` +
      `open loop p50 ${x(r.paced, 'p50')}, p99 ${x(r.paced, 'p99')}; throughput c=${String(CONCURRENCY)} ${t.ratio.toFixed(2)}x`,
  );
  console.log(
    `other processes on this machine (not started by this run) used ${cores(r.whole.cpu, r.whole.seconds).others.toFixed(2)} cores on average while measuring (0 = quiet)`,
  );
  console.log(JSON.stringify(summarize(r)));
}

async function warmUp(baseline: Target, gateway: Target, responses: Target): Promise<void> {
  await alternating(baseline, gateway, CHAT_BODY, WARMUP);
  await alternating(baseline, gateway, STREAM_BODY, Math.ceil(WARMUP / 2));
  await alternating(baseline, responses, { baseline: CHAT_BODY, gateway: RESPONSES_BODY }, Math.ceil(WARMUP / 2));
  // Opens every pooled connection on both sides, and lets the JIT see the concurrent path.
  for (const target of [baseline, gateway]) await concurrent(target, CHAT_BODY, CONCURRENCY * 8);
}

async function measure({ baseline, gateway, responses }: Targets, gatewayPid: number | undefined): Promise<Results> {
  await warmUp(baseline, gateway, responses);
  const before = cpuSnapshot(gatewayPid);
  const started = performance.now();
  const chat = await alternating(baseline, gateway, CHAT_BODY, REQUESTS);
  const stream = await alternating(baseline, gateway, STREAM_BODY, STREAM_REQUESTS);
  const answered = await alternating(baseline, responses, { baseline: CHAT_BODY, gateway: RESPONSES_BODY }, REQUESTS);
  const steady = await paced(baseline, gateway, RATE, RATE * PACED_SECONDS);
  const load = await throughput(baseline, gateway, gatewayPid);
  return {
    whole: { cpu: cpuSince(before, gatewayPid), seconds: (performance.now() - started) / 1000 },
    paced: compare(
      steady.baseline.map((s) => s.totalMs),
      steady.gateway.map((s) => s.totalMs),
    ),
    pacedHeader: headerStats(steady.gateway),
    chat: compare(
      chat.baseline.map((s) => s.totalMs),
      chat.gateway.map((s) => s.totalMs),
    ),
    chatHeader: headerStats(chat.gateway),
    stream: compare(
      stream.baseline.map((s) => s.firstByteMs),
      stream.gateway.map((s) => s.firstByteMs),
    ),
    streamHeader: headerStats(stream.gateway),
    responses: compare(
      answered.baseline.map((s) => s.totalMs),
      answered.gateway.map((s) => s.totalMs),
    ),
    responsesHeader: headerStats(answered.gateway),
    load,
  };
}

/** A user on a tier whose limits this run cannot reach, with their OpenAI key stored (BYOK). */
async function benchUser(stack: Stack): Promise<string> {
  const user = await stack.newUser('enterprise');
  const added = await stack.addProviderKey(user.apiKey, 'openai', USER_OPENAI_KEY);
  if (!added.ok) throw new Error(`adding the provider key failed: ${String(added.status)} ${await added.text()}`);
  return user.apiKey;
}

async function startGatewayStack(pgUrl: string, redisUrl: string, upstreamUrl: string | undefined): Promise<Stack> {
  const limits = { requestsPerMinute: 100_000_000, requestsPerDay: 100_000_000 };
  return startStack({
    postgresUrl: pgUrl,
    redisUrl,
    config: {
      mode: 'proxy',
      models: [
        { name: MODEL, provider: 'openai', upstreamModel: MODEL, pricing: { inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.6 } },
      ],
      tiers: { enterprise: limits },
      // The proxy's own cost, as the research target states it: memory retrieval is measured on its own.
      memory: { enabled: false },
    },
    env: {
      // Per-request logging at info would measure pino and the pipe to this process, not the gateway.
      LOG_LEVEL: 'warn',
      ...(upstreamUrl ? { OPENAI_BASE_URL: upstreamUrl } : {}),
      ...(PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${PROFILE_DIR}` } : {}),
    },
  });
}

interface StubProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * The stub in a process of its own (this file, in stub mode). In production the upstream is never
 * in the client's process: with the stub in here, the baseline would cross no process boundary at
 * all while the gateway path crosses four, and scheduling on two cores would be billed to the gateway.
 */
async function startStubProcess(): Promise<StubProcess> {
  const child = spawn(process.execPath, [import.meta.filename], {
    env: { ...process.env, [STUB_CHILD]: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const stop = (): Promise<void> => stopProcess(child);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => {
        reject(new Error(`stub process exited (${String(code)})`));
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n') && line) resolve(line);
      });
    });
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Stub mode: serve until the parent closes stdin (it also does so by dying) or sends SIGTERM. */
async function serveStub(): Promise<void> {
  const stub = await startOpenAIUpstream({ apiKey: USER_OPENAI_KEY, reply: REPLY });
  console.log(stub.url);
  await new Promise<void>((resolve) => {
    process.stdin.on('close', resolve).resume();
    process.once('SIGTERM', resolve);
  });
  await stub.close();
}

/** What is running, filled in as it starts, so that cleanup stops exactly that. */
interface Running {
  postgres?: Postgres;
  redis?: Redis;
  stub?: StubProcess;
  stack?: Stack;
  pools: Pool[];
}

interface Targets {
  baseline: Target;
  gateway: Target;
  /** The gateway's /v1/responses, on the gateway's connections. */
  responses: Target;
}

async function startAll(running: Running): Promise<Targets> {
  await Promise.all([
    startPostgres().then((p) => (running.postgres = p)),
    startRedis().then((r) => (running.redis = r)),
    SEPARATE_STUB ? startStubProcess().then((s) => (running.stub = s)) : undefined,
  ]);
  if (!running.postgres || !running.redis) throw new Error('PostgreSQL or Redis did not start');
  const stack = (running.stack = await startGatewayStack(running.postgres.url, running.redis.url, running.stub?.url));
  // startStack always starts its own stub; it is the upstream only with STUB=inprocess.
  if (!running.stub) stack.openai.behaviour = { apiKey: USER_OPENAI_KEY, reply: REPLY };
  const apiKey = await benchUser(stack);
  const stubUrl = new URL(running.stub?.url ?? stack.openai.url);
  const baseline: Target = {
    name: 'baseline',
    pool: poolFor(stubUrl.origin),
    path: `${stubUrl.pathname}/chat/completions`,
    authorization: `Bearer ${USER_OPENAI_KEY}`,
  };
  const gateway: Target = { name: 'gateway', pool: poolFor(stack.url), path: '/v1/chat/completions', authorization: `Bearer ${apiKey}` };
  running.pools.push(baseline.pool, gateway.pool);
  return { baseline, gateway, responses: { ...gateway, path: '/v1/responses' } };
}

async function stopAll(running: Running): Promise<void> {
  await Promise.allSettled(running.pools.map((p) => p.close()));
  await running.stack?.stop();
  await Promise.allSettled([running.postgres?.stop(), running.redis?.stop(), running.stub?.stop()]);
}

/** Rejects on Ctrl-C or SIGTERM, so an interrupted run still goes through the cleanup in main. */
function interruption(): Promise<never> {
  return new Promise((_resolve, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        reject(new Error(`interrupted (${signal})`));
      });
  });
}

async function main(): Promise<void> {
  const running: Running = { pools: [] };
  const interrupted = interruption();
  const starting = startAll(running);
  try {
    const targets = await Promise.race([starting, interrupted]);
    console.log(
      `gateway-overhead: ${String(navigatorCpus())} CPUs, stub ${SEPARATE_STUB ? 'in its own process' : 'in this process'}, warm-up ${String(WARMUP)} requests per side`,
    );
    const results = await Promise.race([measure(targets, running.stack?.gateways[0]?.process.pid), interrupted]);
    const warnings = running.stack?.gateways[0]?.logs().trim();
    if (warnings) console.log(`gateway logged (level >= warn):\n${warnings.slice(0, 2000)}`);
    report(results);
  } finally {
    // An interrupted start is still starting things: let it finish, then stop all of it.
    await Promise.allSettled([starting]);
    await stopAll(running);
  }
}

if (process.env[STUB_CHILD] === '1') await serveStub();
else await main();
