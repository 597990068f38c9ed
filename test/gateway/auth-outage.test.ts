// Authentication while PostgreSQL is down: keys used shortly before the outage keep working past
// their cache TTL (for API_KEY_STALE_MS), any other key gets a 503 with Retry-After (never a bare
// 500, never a 401 for a key that may be valid), and once the database is back its answers win
// again, so a key revoked in the database meanwhile stops working. The database is a private
// PostgreSQL this file stops and starts; the gateways are real processes.
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { isDatabaseUnavailable } from '../../gateway/db/pg-errors.ts';
import { startRestartablePostgres, type RestartablePostgres } from '../harness/postgres-restartable.ts';
import { freePort } from '../harness/processes.ts';
import { freshDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startGateway, type GatewayProcess } from '../support/gateway.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

const CACHE_MS = 300;
const CONFIG = {
  mode: 'proxy',
  models: [
    { name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' },
    { name: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
  ],
};

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let postgres: RestartablePostgres;
let stack: Stack;
/** A second gateway on the same database whose stale window is short enough to see it end. */
let shortWindow: GatewayProcess;

beforeAll(async () => {
  postgres = await startRestartablePostgres();
  stack = await startStack({
    postgresUrl: postgres.url,
    redisUrl: inject('redisUrl'),
    config: CONFIG,
    env: { API_KEY_CACHE_MS: String(CACHE_MS), API_KEY_STALE_MS: '600000' },
  });
  shortWindow = await startGateway({ ...stack.env, API_KEY_CACHE_MS: String(CACHE_MS), API_KEY_STALE_MS: '2000' });
}, 120_000);

afterAll(async () => {
  await shortWindow.stop();
  await stack.stop();
  await postgres.destroy();
});

function client(url: string, apiKey: string): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 });
}

async function chat(url: string, apiKey: string, model = 'gpt-4o-mini'): Promise<string | null | undefined> {
  const completion = await client(url, apiKey).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
  return completion.choices[0]?.message.content;
}

/** The refusal a call ended with: status, Retry-After and the OpenAI-shaped error body. */
async function refusal(
  call: Promise<unknown>,
): Promise<{ status: number; retryAfter: string | null; error: { type: string; code: string; message: string } }> {
  const err = await call.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof OpenAI.APIError)) throw err;
  const headers: unknown = err.headers;
  return {
    status: Number(err.status),
    retryAfter: headers instanceof Headers ? headers.get('retry-after') : null,
    error: err.error as { type: string; code: string; message: string },
  };
}

describe('PostgreSQL outage', () => {
  it('keeps recently used keys working, answers 503 with Retry-After for the rest, and obeys the database again once it is back', async () => {
    const ada = await stack.newUser('pro');
    expect((await stack.addProviderKey(ada.apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
    // Bob's key exists but was never used on these gateways: nothing of his is cached.
    const bob = await stack.newUser('pro');
    expect(await chat(stack.url, ada.apiKey)).toBeTruthy();
    expect(await chat(shortWindow.url, ada.apiKey)).toBeTruthy();

    await postgres.stop();
    await pause(CACHE_MS * 2);

    // Ada's API key and her OpenAI key come from the cache, again and again across several TTLs.
    for (let i = 0; i < 3; i++) {
      expect(await chat(stack.url, ada.apiKey)).toBeTruthy();
      await pause(CACHE_MS);
    }
    expect(await chat(shortWindow.url, ada.apiKey)).toBeTruthy();

    // Bob may well be valid, but nobody can tell: 503, say why, say when to retry.
    const unknown = await refusal(client(stack.url, bob.apiKey).models.list());
    expect(unknown).toMatchObject({
      status: 503,
      retryAfter: '5',
      error: { type: 'service_unavailable_error', code: 'database_unavailable' },
    });
    expect(unknown.error.message).toMatch(
      /^Cannot check this API key right now: the gateway cannot reach its database \(PostgreSQL\)\. Retry after 5 s/,
    );
    expect(JSON.stringify(unknown)).not.toContain(bob.apiKey);

    // Ada's Anthropic key was never looked up before the outage: the same 503, about that key.
    const providerKey = await refusal(chat(stack.url, ada.apiKey, 'claude'));
    expect(providerKey).toMatchObject({
      status: 503,
      retryAfter: '5',
      error: { type: 'service_unavailable_error', code: 'database_unavailable' },
    });
    expect(providerKey.error.message).toMatch(/^Cannot load your anthropic provider key right now: the gateway cannot reach its database/);

    // Routes that need the database itself (her usage) answer the same 503, not a 500.
    const usage = await fetch(`${stack.url}/v1/usage`, { headers: { authorization: `Bearer ${ada.apiKey}` } });
    expect(usage.status).toBe(503);
    expect(usage.headers.get('retry-after')).toBe('5');
    expect(((await usage.json()) as { error: { code: string } }).error.code).toBe('database_unavailable');

    // The stale window (2 s on the second gateway) ends: then Ada is refused there too, with a 503.
    await pause(2000);
    const expired = await refusal(chat(shortWindow.url, ada.apiKey));
    expect(expired).toMatchObject({ status: 503, retryAfter: '5', error: { code: 'database_unavailable' } });

    const metrics = await (await fetch(`${stack.url}/prometheus`)).text();
    expect(metrics).toMatch(/perpetual_dependency_degraded_total\{dependency="database"\} [1-9]/);
    const logs = stack.gateways[0]?.logs() ?? '';
    expect(logs).toContain('Cannot reach PostgreSQL; serving recently used keys from the cache');
    for (const secret of [ada.apiKey, bob.apiKey, USER_OPENAI_KEY]) expect(logs).not.toContain(secret);

    await postgres.start();
    await eventually(
      async () => {
        expect((await client(stack.url, bob.apiKey).models.list()).data.length).toBeGreaterThan(0);
      },
      20_000,
      250,
    );
    expect(await chat(shortWindow.url, ada.apiKey)).toBeTruthy();

    // Revoked in the database itself (no invalidation message reaches the gateways): the next
    // lookup after the TTL says "not found", and that answer wins over the cached entry.
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const hash = createHash('sha256').update(ada.apiKey).digest('hex');
      const revoked = await db.query('UPDATE api_keys SET revoked_at = now(), is_active = false WHERE key_hash = $1', [hash]);
      expect(revoked.rowCount).toBe(1);
    } finally {
      await db.end();
    }
    await pause(CACHE_MS * 2);
    for (const url of [stack.url, shortWindow.url]) {
      const refused = await refusal(chat(url, ada.apiKey));
      expect(refused).toMatchObject({ status: 401, error: { type: 'authentication_error', code: 'invalid_api_key' } });
    }
  }, 90_000);
});

describe('which PostgreSQL failures mean "unavailable"', () => {
  it('recognizes a refused connection, a terminated session (57P01) and a pool checkout timeout, and not a bad query', async () => {
    const databaseUrl = await freshDatabase(inject('postgresUrl'), 'auth_outage');

    const closed = new URL(databaseUrl);
    closed.port = String(await freePort());
    const refusedPool = new pg.Pool({ connectionString: closed.toString(), connectionTimeoutMillis: 2000 });
    const refused = await refusedPool.query('SELECT 1').catch((e: unknown) => e);
    await refusedPool.end();
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(refused)).toBe(true);

    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 200 });
    pool.on('error', () => undefined);
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      const victim = await pool.connect();
      victim.on('error', () => undefined);
      const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      // The only connection is checked out: the next checkout times out.
      const timedOut = await pool.query('SELECT 1').catch((e: unknown) => e);
      expect(timedOut).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(timedOut)).toBe(true);
      const sleeping = victim.query('SELECT pg_sleep(30)').catch((e: unknown) => e);
      await eventually(
        async () => {
          const { rows } = await admin.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND query LIKE 'SELECT pg_sleep%'",
            [pid],
          );
          expect(rows[0]?.n).toBe(1);
        },
        5000,
        50,
      );
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const terminated = await sleeping;
      expect(terminated).toMatchObject({ code: '57P01' });
      expect(isDatabaseUnavailable(terminated)).toBe(true);
      victim.release(true);

      const badQuery = await admin.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
      expect(badQuery).toMatchObject({ code: '42P01' });
      expect(isDatabaseUnavailable(badQuery)).toBe(false);
    } finally {
      await admin.end();
      await pool.end();
    }
  });
});
