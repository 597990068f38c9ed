// The added latency of token limits and money budgets on the rate-limit check, against today's
// requests-only check, in the same run on the same Redis (a loopback redis-server started for the run).
//
//   node test/bench/ratelimit-check.ts
//   ROUNDS=20000 node test/bench/ratelimit-check.ts
//
// Each round times one requests-only check (2 keys, the script's old call), one check with token
// limits (requests + tokens per minute and per day with a reservation: 4 keys) and one combined
// check (requests + tokens + three money budgets, the user's day and month and the key's day, with
// a money reservation: 7 keys), every one a single round trip, in an order that rotates each round
// so drift in the machine's load falls on all alike; each on its own key so none is ever refused.
// The settles after the answer (off the request's path) are timed too. Goal: under 0.1 ms p50
// added by the combined check.
import { Redis as RedisClient } from 'ioredis';
import { startRedis } from '../harness/redis.ts';
import { RateLimiter } from '../../gateway/ratelimit/rate-limiter.ts';
import type { RateLimitRequest, RateLimitResult } from '../../gateway/ratelimit/result.ts';
import { percentile, round3 } from './support/stats.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 10_000);
const WARMUP = 500;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

function summary(name: string, ms: number[]): string {
  return `${name.padEnd(30)} p50 ${round3(percentile(ms, 50)).toFixed(3)} ms  p90 ${round3(percentile(ms, 90)).toFixed(3)} ms  p99 ${round3(percentile(ms, 99)).toFixed(3)} ms`;
}

function admitted(name: string, result: RateLimitResult): RateLimitResult {
  if (!result.allowed || result.degraded) throw new Error(`${name} check refused or degraded: the bench measures admitted checks`);
  return result;
}

const redis = await startRedis();
const client = new RedisClient(redis.url, { enableOfflineQueue: false });
try {
  await new Promise((resolve) => client.once('ready', resolve));
  // Budget counters are built once from the (here empty) record of spend, then live in Redis.
  const limiter = new RateLimiter({ redis: client, keyPrefix: 'bench:', timeoutMs: 1000, spentSince: () => Promise.resolve(0) });
  // The combined check is the token check plus three money budgets.
  const tokens: RateLimitRequest = {
    keyId: 'tokens',
    userId: 'u2',
    perMinute: 1e12,
    perDay: 1e12,
    tokensPerMinute: 1e15,
    tokensPerDay: 1e15,
    reserveTokens: 4200,
  };
  const checks: Record<'requestsOnly' | 'tokens' | 'combined', RateLimitRequest> = {
    requestsOnly: { keyId: 'requests-only', userId: 'u1', perMinute: 1e12, perDay: 1e12 },
    tokens,
    combined: {
      ...tokens,
      keyId: 'combined',
      userId: 'u3',
      budgets: [
        { owner: 'user', window: 'day', limitUsd: 1e7, softUsd: 1e7 },
        { owner: 'user', window: 'month', limitUsd: 1e7, softUsd: 1e7 },
        { owner: 'key', window: 'day', limitUsd: 1e7, softUsd: 1e7 },
      ],
      reserveMicros: 12_000,
    },
  };
  const names = Object.keys(checks) as (keyof typeof checks)[];
  const times = {
    requestsOnly: [] as number[],
    tokens: [] as number[],
    combined: [] as number[],
    settleTokens: [] as number[],
    settleMoney: [] as number[],
  };
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const keep = round >= WARMUP;
    const results: Partial<Record<keyof typeof checks, RateLimitResult>> = {};
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length] as keyof typeof checks;
      const { ms, value } = await timed(() => limiter.check(checks[name]));
      results[name] = admitted(name, value);
      (keep ? times[name] : []).push(ms);
    }
    const reservation = results.combined?.reservation;
    const money = results.combined?.budgetReservation;
    const settleTokens = reservation ? await timed(() => limiter.settle(reservation, 900)) : undefined;
    const settleMoney = money ? await timed(() => limiter.settleBudgets(money, 3000)) : undefined;
    if (keep && settleTokens) times.settleTokens.push(settleTokens.ms);
    if (keep && settleMoney) times.settleMoney.push(settleMoney.ms);
  }
  const added = (name: keyof typeof checks): string => round3(percentile(times[name], 50) - percentile(times.requestsOnly, 50)).toFixed(3);
  console.log(`${String(ROUNDS)} rounds, loopback redis-server, node ${process.version}`);
  console.log(summary('requests only', times.requestsOnly));
  console.log(summary('requests + tokens', times.tokens));
  console.log(summary('requests + tokens + money', times.combined));
  console.log(summary('settle tokens (after answer)', times.settleTokens));
  console.log(summary('settle money (after answer)', times.settleMoney));
  console.log(`added p50: tokens ${added('tokens')} ms, tokens + money ${added('combined')} ms (goal < 0.1 ms)`);
} finally {
  client.disconnect();
  await redis.stop();
}
