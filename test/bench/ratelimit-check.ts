// The added latency of token limits on the rate-limit check, against today's requests-only check,
// in the same run on the same Redis (a loopback redis-server started for the run).
//
//   node test/bench/ratelimit-check.ts
//   ROUNDS=20000 node test/bench/ratelimit-check.ts
//
// Each round times one requests-only check (2 keys, the script's old call) and one combined check
// (requests + tokens per minute and per day with a reservation: 4 keys, one round trip), in
// alternating order so drift in the machine's load falls on both alike; each on its own key so
// neither is ever refused. The settle after the answer (off the request's path) is timed too.
// Goal: under 0.1 ms p50 added by the combined check.
import { Redis as RedisClient } from 'ioredis';
import { startRedis } from '../harness/redis.ts';
import { RateLimiter } from '../../gateway/ratelimit/rate-limiter.ts';
import type { TokenReservation } from '../../gateway/ratelimit/result.ts';
import { percentile, round3 } from './support/stats.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 10_000);
const WARMUP = 500;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

function summary(name: string, ms: number[]): string {
  return `${name.padEnd(22)} p50 ${round3(percentile(ms, 50)).toFixed(3)} ms  p90 ${round3(percentile(ms, 90)).toFixed(3)} ms  p99 ${round3(percentile(ms, 99)).toFixed(3)} ms`;
}

const redis = await startRedis();
const client = new RedisClient(redis.url, { enableOfflineQueue: false });
try {
  await new Promise((resolve) => client.once('ready', resolve));
  const limiter = new RateLimiter({ redis: client, keyPrefix: 'bench:', timeoutMs: 1000 });
  const requestsOnly = { keyId: 'requests-only', perMinute: 1e12, perDay: 1e12 };
  const combined = { keyId: 'combined', perMinute: 1e12, perDay: 1e12, tokensPerMinute: 1e15, tokensPerDay: 1e15, reserveTokens: 4200 };
  const times = { requestsOnly: [] as number[], combined: [] as number[], settle: [] as number[] };
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const keep = round >= WARMUP;
    const a = await (round % 2 === 0 ? timed(() => limiter.check(requestsOnly)) : Promise.resolve(-1));
    const held: { reservation?: TokenReservation } = {};
    const b = await timed(async () => {
      held.reservation = (await limiter.check(combined)).reservation;
    });
    const c = round % 2 === 1 ? await timed(() => limiter.check(requestsOnly)) : a;
    const { reservation } = held;
    const s = reservation ? await timed(() => limiter.settle(reservation, 900)) : -1;
    if (!keep) continue;
    times.requestsOnly.push(round % 2 === 0 ? a : c);
    times.combined.push(b);
    if (s >= 0) times.settle.push(s);
  }
  const added = percentile(times.combined, 50) - percentile(times.requestsOnly, 50);
  console.log(`${String(ROUNDS)} rounds, loopback redis-server, node ${process.version}`);
  console.log(summary('requests only', times.requestsOnly));
  console.log(summary('requests + tokens', times.combined));
  console.log(summary('settle (after answer)', times.settle));
  console.log(`added p50: ${round3(added).toFixed(3)} ms (goal < 0.1 ms)`);
} finally {
  client.disconnect();
  await redis.stop();
}
