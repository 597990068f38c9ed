// The gateway's datastores in the harness are the real servers: PostgreSQL 15+ and Redis 7+.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import '../setup/provided.ts';

describe('PostgreSQL', () => {
  const client = new pg.Client({ connectionString: inject('postgresUrl') });
  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  it('is version 15 or newer', async () => {
    const { rows } = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    expect(Number(rows[0]?.server_version_num)).toBeGreaterThanOrEqual(150000);
  });

  it('runs transactions, constraints and aggregates', async () => {
    await client.query('CREATE TABLE usage_probe (id serial PRIMARY KEY, user_id uuid NOT NULL, tokens int CHECK (tokens >= 0))');
    await client.query('BEGIN');
    await client.query(
      "INSERT INTO usage_probe (user_id, tokens) VALUES ('00000000-0000-0000-0000-000000000001', 5), ('00000000-0000-0000-0000-000000000001', 7)",
    );
    await client.query('COMMIT');
    await expect(
      client.query("INSERT INTO usage_probe (user_id, tokens) VALUES ('00000000-0000-0000-0000-000000000001', -1)"),
    ).rejects.toThrow(/check constraint/);
    const { rows } = await client.query<{ total: string }>('SELECT sum(tokens) AS total FROM usage_probe');
    expect(rows[0]?.total).toBe('12');
  });

  it('rejects a wrong password (the harness enables password authentication)', async () => {
    const url = new URL(inject('postgresUrl'));
    url.password = 'wrong';
    const intruder = new pg.Client({ connectionString: url.toString() });
    await expect(intruder.connect()).rejects.toThrow(/password authentication failed/);
  });
});

describe('Redis', () => {
  const redis = new Redis(inject('redisUrl'), { lazyConnect: true });
  beforeAll(async () => {
    await redis.connect();
  });
  afterAll(() => {
    redis.disconnect();
  });

  it('is version 7 or newer', async () => {
    const info = await redis.info('server');
    const major = Number(/redis_version:(\d+)/.exec(info)?.[1]);
    expect(major).toBeGreaterThanOrEqual(7);
  });

  it('counts with expiry and runs Lua atomically', async () => {
    expect(await redis.incr('probe:minute')).toBe(1);
    expect(await redis.incr('probe:minute')).toBe(2);
    await redis.expire('probe:minute', 60);
    expect(await redis.ttl('probe:minute')).toBeGreaterThan(0);
    const script = "local n = redis.call('INCRBY', KEYS[1], ARGV[1]); return n";
    expect(await redis.eval(script, 1, 'probe:lua', 5)).toBe(5);
  });

  it('requires the password', async () => {
    const url = new URL(inject('redisUrl'));
    url.password = '';
    const intruder = new Redis(url.toString(), { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    intruder.on('error', () => undefined); // the refusal is asserted below
    await intruder.connect().catch(() => undefined);
    await expect(intruder.get('probe:minute')).rejects.toThrow(/NOAUTH|closed/i);
    intruder.disconnect();
  });
});
