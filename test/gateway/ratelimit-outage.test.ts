// The rate limiter when Redis is gone (nothing listens on the port) or hung (a socket that never
// answers): each check costs at most the configured timeout, the result is `degraded`, and the
// policy decides: allow by default, or refuse with a 503 in deny mode.
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../setup/provided.ts';
import { freshKeyPrefix } from '../support/database.ts';
import { rateLimitError } from '../../gateway/ratelimit/rate-limit-error.ts';
import { rateLimitHeaders } from '../../gateway/ratelimit/headers.ts';
import { RateLimiter } from '../../gateway/ratelimit/rate-limiter.ts';

const request = { keyId: 'outage', perMinute: 10, perDay: 1000 };
const TIMEOUT_MS = 50;
// Generous against a loaded CI machine, and still two orders of magnitude under ioredis' own
// default behaviour (seconds of reconnect retries before a queued command fails).
const BOUND_MS = 1_000;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
}

/** A port on loopback that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

const clients: Redis[] = [];
function redisAt(port: number, options: RedisOptions = {}): Redis {
  const redis = new Redis({ host: '127.0.0.1', port, ...options });
  redis.on('error', () => undefined); // connection errors are the point of these tests
  clients.push(redis);
  return redis;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('RateLimiter when Redis is unavailable', () => {
  let refusedPort: number;
  let hung: Server;
  let hungPort: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    refusedPort = await closedPort();
    // Accepts connections and never says a word, like a Redis stuck in a long command or SIGSTOPped.
    hung = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    hungPort = await listen(hung);
  });

  afterAll(async () => {
    for (const redis of clients) redis.disconnect();
    for (const socket of sockets) socket.destroy();
    await close(hung);
  });

  it.each([
    ['a closed port, ioredis defaults (offline queue on)', () => redisAt(refusedPort)],
    ['a closed port, enableOfflineQueue: false', () => redisAt(refusedPort, { enableOfflineQueue: false })],
    ['a hung server, ioredis defaults', () => redisAt(hungPort)],
    ['a hung server, enableOfflineQueue: false', () => redisAt(hungPort, { enableOfflineQueue: false })],
  ])('allows, degraded, within the timeout: %s', async (_label, makeClient) => {
    const limiter = new RateLimiter({ redis: makeClient(), keyPrefix: freshKeyPrefix(), timeoutMs: TIMEOUT_MS });
    for (let i = 0; i < 5; i++) {
      const { value, ms } = await timed(() => limiter.check(request));
      expect(value).toMatchObject({ allowed: true, degraded: true });
      expect(ms).toBeLessThan(BOUND_MS);
      // No invented counts go out while degraded.
      expect(rateLimitHeaders(value)).toEqual({});
    }
  });

  it('fails fast (no waiting for the timeout) with enableOfflineQueue: false on a refused port', async () => {
    const limiter = new RateLimiter({ redis: redisAt(refusedPort, { enableOfflineQueue: false }), timeoutMs: 2_000 });
    const { value, ms } = await timed(() => limiter.check(request));
    expect(value).toMatchObject({ allowed: true, degraded: true, degradedReason: 'redis_error' });
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('bounds many concurrent checks against a hung Redis by one timeout, not their sum', async () => {
    const limiter = new RateLimiter({ redis: redisAt(hungPort), timeoutMs: TIMEOUT_MS });
    const { value, ms } = await timed(() => Promise.all(Array.from({ length: 100 }, () => limiter.check(request))));
    expect(value.every((r) => r.degraded && r.allowed && r.degradedReason === 'timeout')).toBe(true);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('refuses with a 503 in deny mode', async () => {
    const limiter = new RateLimiter({ redis: redisAt(refusedPort), timeoutMs: TIMEOUT_MS, onRedisDown: 'deny' });
    const { value, ms } = await timed(() => limiter.check(request));
    expect(value).toMatchObject({ allowed: false, degraded: true });
    expect(ms).toBeLessThan(BOUND_MS);

    const err = rateLimitError(value, 'free');
    expect(err.status).toBe(503);
    expect(err.toJSON().error).toMatchObject({ type: 'service_unavailable_error', code: 'rate_limiter_unavailable' });
    expect(err.headers).toEqual({ 'Retry-After': '1' });
  });
});
