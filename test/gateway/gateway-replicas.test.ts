// Two gateway processes sharing one PostgreSQL and one Redis, as two replicas of a Deployment:
// rate limits hold across both, and a key revoked on one is refused by the other within a second.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { TEST_JWT_SECRET } from '../support/gateway.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: {
      mode: 'proxy',
      models: [{ name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' }],
      tiers: { free: { requestsPerMinute: 10, requestsPerDay: 1000 } },
    },
    replicas: 2,
  });
});

afterAll(async () => {
  await stack.stop();
});

function replica(i: number): string {
  return stack.gateways[i]?.url ?? '';
}

function chat(url: string, apiKey: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

/** Minute windows are aligned to the clock: start a burst early in a minute so it cannot straddle two. */
async function awayFromMinuteBoundary(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 200));
}

describe('rate limits across replicas', () => {
  it("admits exactly the tier's per-minute limit however requests spread over replicas", async () => {
    const { apiKey } = await stack.newUser('free');
    expect((await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
    await awayFromMinuteBoundary();
    const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => chat(replica(i % 2), apiKey)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
    const refused = responses.find((r) => r.status === 429);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused?.headers.get('x-ratelimit-limit-requests')).toBe('10');
    expect(refused?.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const body = (await refused?.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('rate_limit_error');
    expect(body.error.message).toMatch(/^Rate limit exceeded: 10 requests per minute for the free tier/);
  });
});

describe('API keys managed with a Supabase session', () => {
  async function session(userId: string, secret = TEST_JWT_SECRET): Promise<string> {
    return new SignJWT({ role: 'authenticated', email: 'someone@example.com' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setAudience('authenticated')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
  }

  it('creates a key shown once, lists it without secrets, and a revocation on one replica is honoured by the other within a second', async () => {
    const { userId } = await stack.newUser('pro');
    const jwt = await session(userId);
    const created = await fetch(`${replica(0)}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'laptop' }),
    });
    expect(created.status).toBe(201);
    const key = (await created.json()) as { id: string; key: string; prefix: string };
    expect(key.key).toMatch(/^pp_live_/);
    expect(key.key.startsWith(key.prefix)).toBe(true);

    const listed = await (await fetch(`${replica(1)}/v1/keys`, { headers: { authorization: `Bearer ${jwt}` } })).text();
    expect(listed).toContain(key.id);
    expect(listed).not.toContain(key.key);

    // Warm replica 1's key cache, so only the revocation broadcast can evict it.
    expect((await fetch(`${replica(1)}/v1/models`, { headers: { authorization: `Bearer ${key.key}` } })).status).toBe(200);
    const revoked = await fetch(`${replica(0)}/v1/keys/${key.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${jwt}` } });
    expect(revoked.status).toBe(200);
    const since = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - since < 1000) {
      status = (await fetch(`${replica(1)}/v1/models`, { headers: { authorization: `Bearer ${key.key}` } })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toBe(401);
  });

  it('refuses a session signed with another secret, and API keys cannot mint keys', async () => {
    const { userId, apiKey } = await stack.newUser('pro');
    const forged = await session(userId, 'not-the-secret-not-the-secret-not-the-secret');
    const res = await fetch(`${replica(0)}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    const withApiKey = await fetch(`${replica(0)}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` } });
    expect(withApiKey.status).toBe(401);
  });
});
