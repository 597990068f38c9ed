// Prefix-aware routing against least-load and random, in one run, on llm-d-inference-sim replicas
// with their prefix-cache simulation on.
//
//   node test/bench/prefix-routing.ts
//   REPLICAS=4 REQUESTS=400 CONCURRENCY=12 KV_BLOCKS=192 node test/bench/prefix-routing.ts
//
// Workload (seeded, the same sequence for every policy): 80 % of requests start with one of 10
// system prompts (chosen uniformly), 20 % with a system prompt of their own; each then asks a short
// question of its own. Every system prompt is about 600 simulated tokens.
//
// Replicas: REPLICAS simulators per policy, started fresh for it (cold caches), each with a KV cache
// of KV_BLOCKS blocks of 16 tokens (the default 192 holds about four system prompts: a replica cannot
// keep all ten, as a real vLLM under load cannot keep every prompt it ever saw), 4 sequences at once
// (--max-num-seqs; more wait in its queue), prefill 0.5 ms per prompt token not found in its cache
// and 2 ms per generated token. So a cache hit shows as a shorter time to first token, as on vLLM.
//
// Policies, each sending the same REQUESTS requests with CONCURRENCY clients:
//   prefix      the gateway's ReplicaRouter and ReplicaPool (gateway/routing/), policy prefix: the real
//               code path from the request's messages to the replica, the replicas' /metrics read
//               every 2 s as the gateway does;
//   least-load  the same router and pool, policy leastLoad;
//   random      a replica chosen uniformly at random (what a Service's kube-proxy does).
// Reported per policy: the prefix cache hit rate (the simulators' vllm:prefix_cache_hits over
// vllm:prefix_cache_queries, in tokens), time to first token p50/p99 (streamed, measured by the
// client), and the load spread: the most requests one replica served over the mean, and the most
// one replica had in flight at once over the mean of those peaks. Ratios are against least-load.
// Goals (issue 19): hit rate >= 2x least-load's, TTFT p50 lower, no replica above 1.5x the mean load.
import { pino } from 'pino';
import type { ModelRoute } from '../../gateway/config.ts';
import type { ReplicaAddress } from '../../gateway/routing/endpoint-resolver.ts';
import { httpProbe } from '../../gateway/routing/health-probe.ts';
import { httpLoadProbe } from '../../gateway/routing/replica-load.ts';
import { ReplicaPool } from '../../gateway/routing/replica-pool.ts';
import { ReplicaRouter } from '../../gateway/routing/replica-router.ts';
import type { RoutingPolicy } from '../../gateway/routing/routing-policy.ts';
import { logScaleTrigger } from '../../gateway/routing/scale-trigger.ts';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { intEnv } from './support/env.ts';
import { pick, prng, type Rng } from './support/prng.ts';
import { percentile, round3 } from './support/stats.ts';

const REPLICAS = intEnv('REPLICAS', 4);
const REQUESTS = intEnv('REQUESTS', 400);
const CONCURRENCY = intEnv('CONCURRENCY', 12);
const KV_BLOCKS = intEnv('KV_BLOCKS', 192);
const SEED = intEnv('SEED', 19);
const SHARED_PROMPTS = 10;
const SHARED_SHARE = 0.8;
const PROMPT_WORDS = 600;
const SIM_MODEL = 'perpetual-bench/prefix-7b';
const SIM_ARGS = ['--max-num-seqs=4', '--max-model-len=4096', '--prefill-time-per-token=500us', '--inter-token-latency=2ms'];
const log = pino({ level: 'silent' });

type Arm = 'prefix' | 'least-load' | 'random';

interface Message {
  role: string;
  content: string;
}

const WORDS = [
  'account',
  'billing',
  'refund',
  'shipping',
  'order',
  'policy',
  'support',
  'plan',
  'invoice',
  'delivery',
  'return',
  'warranty',
];

function text(rng: Rng, words: number): string {
  return Array.from({ length: words }, () => `${pick(rng, WORDS)}${String(Math.floor(rng() * 100))}`).join(' ');
}

/** The request sequence: the same for every policy. */
function workload(): Message[][] {
  const rng = prng(SEED);
  const shared = Array.from({ length: SHARED_PROMPTS }, (_, i) => `System prompt ${String(i)}. ${text(rng, PROMPT_WORDS)}`);
  return Array.from({ length: REQUESTS }, (_, i) => {
    const system = rng() < SHARED_SHARE ? pick(rng, shared) : `Private prompt ${String(i)}. ${text(rng, PROMPT_WORDS)}`;
    return [
      { role: 'system', content: system },
      { role: 'user', content: `Question ${String(i)}: ${text(rng, 12)}` },
    ];
  });
}

function address(sim: InferenceSim): ReplicaAddress {
  return { id: sim.url, origin: sim.url, baseURL: `${sim.url}/v1`, kind: 'pod' };
}

/** Streams one chat completion from a replica; resolves with the time to its first content chunk. */
async function streamChat(replica: ReplicaAddress, messages: Message[]): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${replica.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: SIM_MODEL, messages, max_tokens: 8, stream: true }),
  });
  if (!res.ok || !res.body) throw new Error(`replica answered ${String(res.status)}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let ttft: number | undefined;
  for await (const chunk of res.body) {
    if (ttft === undefined && decoder.decode(chunk as Uint8Array).includes('"content":"')) ttft = performance.now() - started;
  }
  return ttft ?? performance.now() - started;
}

async function simMetric(sim: InferenceSim, name: string): Promise<number> {
  const body = await (await fetch(`${sim.url}/metrics`)).text();
  const pattern = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm');
  return [...body.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** How an arm sends one request: to a replica it chooses, returning the request's TTFT. */
type Dispatch = (messages: Message[], onReplica: (id: string, delta: 1 | -1) => void) => Promise<number>;

function routerDispatch(sims: InferenceSim[], policy: RoutingPolicy): { dispatch: Dispatch; close: () => void; ready: Promise<void> } {
  const pool = new ReplicaPool({
    server: { name: 'bench', endpoint: undefined },
    resolver: { resolve: () => Promise.resolve({ state: 'present', replicas: sims.map(address) }) },
    probe: httpProbe('/health/ready', 1000),
    // As the gateway wires it: each replica's queue and KV-cache use, read every health interval.
    loadProbe: httpLoadProbe('/metrics', 1000),
    trigger: logScaleTrigger(log),
    settings: { healthIntervalMs: 2000, unhealthyMs: 5000, holdTimeoutMs: 30_000, queueMax: 1000, loadFactor: 1.5 },
    log,
  });
  const router = new ReplicaRouter({ pools: new Map([['bench', pool]]), settings: { policy, maxAttempts: 1 }, log });
  const route: ModelRoute & { modelServer: string } = { name: 'bench', modelServer: 'bench', upstreamModel: SIM_MODEL, routing: policy };
  return {
    ready: pool.refresh(),
    close: () => {
      router.close();
    },
    dispatch: async (messages, onReplica) => {
      const routed = await router.call(route, { conversationId: undefined, prompt: { messages }, signal: undefined }, async (replica) => {
        onReplica(replica.id, 1);
        try {
          return await streamChat(replica, messages);
        } finally {
          onReplica(replica.id, -1);
        }
      });
      routed.release();
      return routed.result;
    },
  };
}

function randomDispatch(sims: InferenceSim[]): Dispatch {
  const rng = prng(SEED + 1);
  return async (messages, onReplica) => {
    const replica = address(pick(rng, sims));
    onReplica(replica.id, 1);
    try {
      return await streamChat(replica, messages);
    } finally {
      onReplica(replica.id, -1);
    }
  };
}

interface Result {
  policy: Arm;
  hitRate: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  /** Requests served by the busiest replica over the mean per replica. */
  maxRequestShare: number;
  /** The highest in-flight count any replica reached over the mean of the replicas' peaks. */
  maxPeakInFlight: number;
  perReplica: number[];
  seconds: number;
}

async function runArm(arm: Arm, requests: Message[][]): Promise<Result> {
  const sims = await Promise.all(
    Array.from({ length: REPLICAS }, () => startInferenceSim({ model: SIM_MODEL, kvCache: { blocks: KV_BLOCKS }, args: SIM_ARGS })),
  );
  const router = arm === 'random' ? undefined : routerDispatch(sims, arm === 'prefix' ? 'prefix' : 'leastLoad');
  try {
    await router?.ready;
    const dispatch = router?.dispatch ?? randomDispatch(sims);
    const inFlight = new Map(sims.map((s) => [s.url, 0]));
    const peak = new Map(sims.map((s) => [s.url, 0]));
    const served = new Map(sims.map((s) => [s.url, 0]));
    const onReplica = (id: string, delta: 1 | -1): void => {
      const now = (inFlight.get(id) ?? 0) + delta;
      inFlight.set(id, now);
      peak.set(id, Math.max(peak.get(id) ?? 0, now));
      if (delta === 1) served.set(id, (served.get(id) ?? 0) + 1);
    };
    const ttfts: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < requests.length; i = next++) ttfts.push(await dispatch(requests[i] ?? [], onReplica));
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const hits = await Promise.all(sims.map((s) => simMetric(s, 'vllm:prefix_cache_hits')));
    const queries = await Promise.all(sims.map((s) => simMetric(s, 'vllm:prefix_cache_queries')));
    const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
    const perReplica = sims.map((s) => served.get(s.url) ?? 0);
    const peaks = sims.map((s) => peak.get(s.url) ?? 0);
    return {
      policy: arm,
      hitRate: round3(sum(hits) / Math.max(1, sum(queries))),
      ttftP50Ms: round3(percentile(ttfts, 50)),
      ttftP99Ms: round3(percentile(ttfts, 99)),
      maxRequestShare: round3(Math.max(...perReplica) / (sum(perReplica) / perReplica.length)),
      maxPeakInFlight: round3(Math.max(...peaks) / (sum(peaks) / peaks.length)),
      perReplica,
      seconds: round3(seconds),
    };
  } finally {
    router?.close();
    await Promise.all(sims.map((s) => s.stop()));
  }
}

async function main(): Promise<void> {
  const requests = workload();
  const results: Result[] = [];
  for (const arm of ['prefix', 'least-load', 'random'] as const) {
    const result = await runArm(arm, requests);
    results.push(result);
    console.log(JSON.stringify(result));
  }
  const [prefix, leastLoad] = results;
  if (!prefix || !leastLoad) return;
  console.log(
    JSON.stringify({
      settings: { replicas: REPLICAS, requests: REQUESTS, concurrency: CONCURRENCY, kvBlocks: KV_BLOCKS, seed: SEED },
      hitRateVsLeastLoad: round3(prefix.hitRate / Math.max(0.001, leastLoad.hitRate)),
      ttftP50VsLeastLoad: round3(prefix.ttftP50Ms / leastLoad.ttftP50Ms),
      ttftP99VsLeastLoad: round3(prefix.ttftP99Ms / leastLoad.ttftP99Ms),
      prefixMaxRequestShare: prefix.maxRequestShare,
      goals: {
        hitRateAtLeast2x: prefix.hitRate >= 2 * leastLoad.hitRate,
        ttftP50Lower: prefix.ttftP50Ms < leastLoad.ttftP50Ms,
        noReplicaAbove1_5xMean: prefix.maxRequestShare <= 1.5,
      },
    }),
  );
}

await main();
