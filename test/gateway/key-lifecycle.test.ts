// Key lifecycle, the audit log and spend reports against the real PostgreSQL and Redis, with two
// gateway replicas (issue 16, items 3 to 5): an expired key and a key past its grace period are
// refused on both replicas within a second; a scoped key cannot reach another model or endpoint;
// every admin and self-service action leaves an audit row, paged by cursor and pseudonymised by
// erasure; spend totals per model per day and month; no account sees another's keys or usage.
import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { TEST_ADMIN_TOKEN, TEST_JWT_SECRET } from '../support/gateway.ts';
import { startStack, USER_ANTHROPIC_KEY, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

let stack: Stack;
let db: pg.Client;

beforeAll(async () => {
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    config: {
      mode: 'proxy',
      models: [
        { name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' },
        { name: 'gpt-4o', provider: 'openai', upstreamModel: 'gpt-4o' },
        { name: 'claude', provider: 'anthropic', upstreamModel: 'claude-sonnet-4-5' },
      ],
    },
    replicas: 2,
  });
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db.end();
  await stack.stop();
});

const replica = (i: number): string => stack.gateways[i]?.url ?? '';

function session(userId: string): Promise<string> {
  return new SignJWT({ role: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setAudience('authenticated')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

function withJwt(url: string, jwt: string, method = 'GET', body?: unknown): Promise<Response> {
  return fetch(url, {
    method,
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function chat(url: string, apiKey: string, model = 'gpt-4o-mini'): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

/** Asks both replicas until each refuses the key (401) or `withinMs` passes; the codes seen last. */
async function refusedEverywhere(apiKey: string, withinMs: number): Promise<{ statuses: number[]; codes: string[]; elapsedMs: number }> {
  const since = Date.now();
  for (;;) {
    const responses = await Promise.all(
      [0, 1].map((i) => fetch(`${replica(i)}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } })),
    );
    const statuses = responses.map((r) => r.status);
    const codes = await Promise.all(
      responses.map(async (r) => (r.status === 200 ? '' : ((await r.json()) as { error: { code: string } }).error.code)),
    );
    const elapsedMs = Date.now() - since;
    if (statuses.every((s) => s === 401) || elapsedMs > withinMs) return { statuses, codes, elapsedMs };
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function issueKey(userId: string, body: Record<string, unknown>): Promise<Response> {
  return stack.admin('POST', `/admin/users/${userId}/keys`, body);
}

describe('expiry', () => {
  it('an expired key is refused on every replica within a second, naming its expiry', async () => {
    const { userId } = await stack.newUser('pro');
    const created = await issueKey(userId, { name: 'short', expires_in_seconds: 2 });
    expect(created.status).toBe(201);
    const key = (await created.json()) as { key: string; expires_at: string };
    const expiresAt = Date.parse(key.expires_at);
    // Both replicas cache the key while it is valid: no message will tell them it expired.
    for (const i of [0, 1])
      expect((await fetch(`${replica(i)}/v1/models`, { headers: { authorization: `Bearer ${key.key}` } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now())));
    const seen = await refusedEverywhere(key.key, 1000);
    expect(seen.statuses).toEqual([401, 401]);
    expect(seen.codes).toEqual(['api_key_expired', 'api_key_expired']);
    expect(seen.elapsedMs).toBeLessThan(1000);
    const res = await chat(replica(1), key.key);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      `expired at ${new Date(expiresAt).toISOString()}`,
    );
  });

  it('refuses a past, absurd or malformed expiry with a 400 naming the field, on both APIs', async () => {
    const { userId } = await stack.newUser('pro');
    const jwt = await session(userId);
    const cases: [Record<string, unknown>, string][] = [
      [{ expires_in_seconds: -60 }, 'expires_in_seconds'],
      [{ expires_in_seconds: 1.5 }, 'expires_in_seconds'],
      [{ expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      [{ expires_at: '9999-01-01T00:00:00Z' }, 'expires_at'],
      [{ expires_at: 'tomorrow' }, 'expires_at'],
      [{ scopes: { models: ['gpt-4o'], admin: true } }, 'scopes.admin'],
      [{ scopes: { endpoints: ['/v1/chat/completions'] } }, 'scopes.endpoints'],
      [{ scopes: { max_tier: 'platinum' } }, 'scopes.max_tier'],
      [{ scopes: { memory: 'no' } }, 'scopes.memory'],
    ];
    for (const [body, param] of cases) {
      for (const res of [await issueKey(userId, body), await withJwt(`${replica(1)}/v1/keys`, jwt, 'POST', body)]) {
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(((await res.json()) as { error: { param: string } }).error.param).toBe(param);
      }
    }
    const { rows } = await db.query('SELECT count(*)::int AS n FROM api_keys WHERE user_id = $1', [userId]);
    expect(rows[0]).toEqual({ n: 1 });
  });
});

describe('rotation', () => {
  it('the old key works during its grace period and is refused on every replica within a second after it', async () => {
    const { userId } = await stack.newUser('pro');
    const jwt = await session(userId);
    const created = (await (
      await withJwt(`${replica(0)}/v1/keys`, jwt, 'POST', { name: 'ci', scopes: { models: ['gpt-4o-mini'] } })
    ).json()) as { id: string; key: string };
    for (const i of [0, 1])
      expect((await fetch(`${replica(i)}/v1/models`, { headers: { authorization: `Bearer ${created.key}` } })).status).toBe(200);

    const rotatedRes = await withJwt(`${replica(0)}/v1/keys/${created.id}/rotate`, jwt, 'POST', { grace_seconds: 2 });
    expect(rotatedRes.status).toBe(201);
    const rotated = (await rotatedRes.json()) as {
      id: string;
      key: string;
      rotated_from: string;
      old_key_grace_until: string;
      scopes: unknown;
      name: string;
    };
    expect(rotated).toMatchObject({ rotated_from: created.id, name: 'ci', scopes: { models: ['gpt-4o-mini'] } });
    expect(rotated.key).not.toBe(created.key);
    // Both keys work during the grace period, on both replicas.
    for (const i of [0, 1]) {
      for (const key of [created.key, rotated.key])
        expect((await fetch(`${replica(i)}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    }
    // A key is rotated once: rotating the old one again is refused.
    expect((await withJwt(`${replica(1)}/v1/keys/${created.id}/rotate`, jwt, 'POST', {})).status).toBe(404);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(rotated.old_key_grace_until) - Date.now())));
    const seen = await refusedEverywhere(created.key, 1000);
    expect(seen.statuses).toEqual([401, 401]);
    expect(seen.codes).toEqual(['api_key_rotated', 'api_key_rotated']);
    for (const i of [0, 1])
      expect((await fetch(`${replica(i)}/v1/models`, { headers: { authorization: `Bearer ${rotated.key}` } })).status).toBe(200);

    const listed = (await (await withJwt(`${replica(1)}/v1/keys`, jwt)).json()) as {
      data: { id: string; is_active: boolean; replaced_by: string | null; grace_until: string | null }[];
    };
    // Listed as inactive once its grace period is over, its replacement named.
    expect(listed.data.find((k) => k.id === created.id)).toMatchObject({
      is_active: false,
      replaced_by: rotated.id,
      grace_until: rotated.old_key_grace_until,
    });
    expect(listed.data.find((k) => k.id === rotated.id)).toMatchObject({ is_active: true, replaced_by: null });
  });

  it('refuses a negative or absurd grace period with a 400 naming grace_seconds', async () => {
    const { userId } = await stack.newUser('pro');
    const key = (await (await issueKey(userId, {})).json()) as { id: string };
    for (const grace of [-1, 31 * 24 * 3600, 'soon']) {
      const res = await stack.admin('POST', `/admin/users/${userId}/keys/${key.id}/rotate`, { grace_seconds: grace });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe('grace_seconds');
    }
  });

  it('the admin API rotates with no grace: the old key stops on every replica within a second', async () => {
    const { userId, apiKey } = await stack.newUser('pro');
    const listed = (await (await stack.admin('GET', `/admin/users/${userId}/keys`)).json()) as { data: { id: string }[] };
    const id = listed.data[0]?.id ?? '';
    for (const i of [0, 1])
      expect((await fetch(`${replica(i)}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(200);
    const rotated = await stack.admin('POST', `/admin/users/${userId}/keys/${id}/rotate`, { grace_seconds: 0 });
    expect(rotated.status).toBe(201);
    const seen = await refusedEverywhere(apiKey, 1000);
    expect(seen.statuses).toEqual([401, 401]);
  });
});

describe('scopes', () => {
  it('a scoped key cannot reach another model or endpoint: a 403 naming the scope', async () => {
    const { userId, apiKey: unscoped } = await stack.newUser('pro');
    expect((await stack.addProviderKey(unscoped, 'openai', USER_OPENAI_KEY)).status).toBe(201);
    const key = (await (
      await issueKey(userId, { scopes: { models: ['gpt-4o-mini'], endpoints: ['/chat/completions'], max_tier: 'free' } })
    ).json()) as { key: string };
    expect((await chat(replica(0), key.key, 'gpt-4o-mini')).status).toBe(200);
    const otherModel = await chat(replica(1), key.key, 'gpt-4o');
    expect(otherModel.status).toBe(403);
    expect(((await otherModel.json()) as { error: { message: string; type: string } }).error).toMatchObject({
      type: 'permission_error',
      message: expect.stringContaining('scope "models"') as unknown,
    });
    const otherEndpoint = await fetch(`${replica(0)}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'x' }),
    });
    expect(otherEndpoint.status).toBe(403);
    expect(((await otherEndpoint.json()) as { error: { message: string } }).error.message).toContain('scope "endpoints"');
    const anthropic = await fetch(`${replica(1)}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(anthropic.status).toBe(403);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    expect((await fetch(`${replica(0)}/v1/usage`, { headers: { authorization: `Bearer ${key.key}` } })).status).toBe(403);
    // max_tier free: the key gets the free tier's limits although its user is pro.
    const limited = await chat(replica(0), key.key, 'gpt-4o-mini');
    const unscopedRes = await chat(replica(0), unscoped, 'gpt-4o-mini');
    expect(Number(limited.headers.get('x-ratelimit-limit-requests'))).toBeLessThan(
      Number(unscopedRes.headers.get('x-ratelimit-limit-requests')),
    );
  });
});

describe('tenancy', () => {
  it("no account lists, rotates, revokes or reads another's keys or usage", async () => {
    const alice = await stack.newUser('pro');
    const bob = await stack.newUser('pro');
    const [aliceJwt, bobJwt] = await Promise.all([session(alice.userId), session(bob.userId)]);
    const aliceKeys = (await (await withJwt(`${replica(0)}/v1/keys`, aliceJwt)).json()) as { data: { id: string }[] };
    const aliceKeyId = aliceKeys.data[0]?.id ?? '';
    expect(aliceKeyId).not.toBe('');
    const bobKeys = (await (await withJwt(`${replica(0)}/v1/keys`, bobJwt)).json()) as { data: { id: string }[] };
    expect(bobKeys.data.map((k) => k.id)).not.toContain(aliceKeyId);
    expect((await withJwt(`${replica(1)}/v1/keys/${aliceKeyId}/rotate`, bobJwt, 'POST', {})).status).toBe(404);
    expect((await withJwt(`${replica(1)}/v1/keys/${aliceKeyId}`, bobJwt, 'DELETE')).status).toBe(404);
    // Through the admin API, a key is reached only under its own user.
    expect((await stack.admin('POST', `/admin/users/${bob.userId}/keys/${aliceKeyId}/rotate`, {})).status).toBe(404);
    expect((await stack.admin('DELETE', `/admin/users/${bob.userId}/keys/${aliceKeyId}`)).status).toBe(404);
    expect((await fetch(`${replica(0)}/v1/models`, { headers: { authorization: `Bearer ${alice.apiKey}` } })).status).toBe(200);
    // Usage: each sees their own only.
    await db.query(
      `INSERT INTO usage_logs (request_id, user_id, input_tokens, output_tokens, total_tokens, cost_usd, model, endpoint, status_code) VALUES ($1, $2, 5, 5, 10, 1, 'gpt-4o', '/chat/completions', 200)`,
      [`t-${crypto.randomUUID()}`, alice.userId],
    );
    const bobUsage = (await (await fetch(`${replica(1)}/v1/usage`, { headers: { authorization: `Bearer ${bob.apiKey}` } })).json()) as {
      totals: { requests: number };
      daily: unknown[];
    };
    expect(bobUsage).toMatchObject({ totals: { requests: 0 }, daily: [] });
    // Neither sessions nor API keys reach the audit log or another user's report.
    for (const credential of [aliceJwt, alice.apiKey]) {
      expect((await fetch(`${replica(0)}/admin/audit`, { headers: { authorization: `Bearer ${credential}` } })).status).toBe(401);
      expect(
        (await fetch(`${replica(0)}/admin/users/${bob.userId}/usage`, { headers: { authorization: `Bearer ${credential}` } })).status,
      ).toBe(401);
    }
  });
});

interface AuditEvent {
  id: string;
  actor: string;
  action: string;
  target_user: string | null;
  target: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

async function auditOf(user: string): Promise<AuditEvent[]> {
  const res = await stack.admin('GET', `/admin/audit?user=${encodeURIComponent(user)}&limit=1000`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: AuditEvent[] }).data;
}

describe('the audit log', () => {
  it('records every admin and self-service action with actor, target and request id, and erasure pseudonymises the user', async () => {
    const email = `audited-${crypto.randomUUID()}@example.com`;
    const user = (await (await stack.admin('POST', '/admin/users', { email, tier: 'free' })).json()) as { id: string };
    const id = user.id;
    expect((await stack.admin('PATCH', `/admin/users/${id}`, { tier: 'pro' })).status).toBe(200);
    const adminKey = (await (await issueKey(id, { name: 'by-admin' })).json()) as { id: string; key: string };
    const jwt = await session(id);
    const ownKey = (await (await withJwt(`${replica(1)}/v1/keys`, jwt, 'POST', { name: 'mine' })).json()) as { id: string };
    const rotated = (await (await withJwt(`${replica(1)}/v1/keys/${ownKey.id}/rotate`, jwt, 'POST', {})).json()) as { id: string };
    expect((await withJwt(`${replica(0)}/v1/keys/${rotated.id}`, jwt, 'DELETE')).status).toBe(200);
    expect((await stack.admin('DELETE', `/admin/users/${id}/keys/${adminKey.id}`)).status).toBe(200);
    const ownApiKey = (await (await issueKey(id, {})).json()) as { key: string };
    expect((await stack.addProviderKey(ownApiKey.key, 'openai', USER_OPENAI_KEY)).status).toBe(201);
    expect(
      (await fetch(`${replica(1)}/v1/provider-keys/openai`, { method: 'DELETE', headers: { authorization: `Bearer ${ownApiKey.key}` } }))
        .status,
    ).toBe(200);
    const tagged = await fetch(`${replica(0)}/admin/users/${id}`, {
      method: 'PATCH',
      headers: { 'x-admin-token': TEST_ADMIN_TOKEN, 'content-type': 'application/json', 'x-request-id': 'audit-request-0001' },
      body: JSON.stringify({ tier: 'pro' }),
    });

    const events = (await auditOf(id)).reverse();
    expect(events.map((e) => [e.action, e.actor])).toEqual([
      ['user.created', 'admin'],
      ['user.tier_changed', 'admin'],
      ['key.issued', 'admin'],
      ['key.issued', id],
      ['key.rotated', id],
      ['key.revoked', id],
      ['key.revoked', 'admin'],
      ['key.issued', 'admin'],
      ['provider_key.added', id],
      ['provider_key.removed', id],
      ['user.tier_changed', 'admin'],
    ]);
    expect(tagged.status).toBe(200);
    expect(events.at(-1)?.request_id).toBe('audit-request-0001');
    expect(events.every((e) => e.target_user === id && typeof e.request_id === 'string' && e.request_id !== '')).toBe(true);
    expect(events[0]?.details).toMatchObject({ email });
    expect(events.find((e) => e.action === 'key.rotated')).toMatchObject({ target: ownKey.id, details: { replaced_by: rotated.id } });
    expect(events.find((e) => e.action === 'provider_key.added')?.target).toBe('openai');

    // Erasure by the user themselves: every row stays, under one pseudonym, without the email.
    expect((await withJwt(`${replica(0)}/v1/account`, jwt, 'DELETE')).status).toBe(200);
    expect(await auditOf(id)).toEqual([]);
    const { rows } = await db.query<{ target_user: string; actor: string; action: string; details: Record<string, unknown> }>(
      'SELECT target_user, actor, action, details FROM audit_log WHERE id >= $1::bigint ORDER BY id',
      [events[0]?.id],
    );
    const pseudonym = rows[0]?.target_user ?? '';
    expect(pseudonym).toMatch(/^erased:/);
    const ofUser = rows.filter((r) => r.target_user === pseudonym);
    expect(ofUser.length).toBe(events.length + 1);
    expect(ofUser.at(-1)).toMatchObject({ action: 'user.erased', actor: pseudonym });
    expect(JSON.stringify(ofUser)).not.toContain(id);
    expect(JSON.stringify(ofUser)).not.toContain(email);
  });

  it('is append-only in the database: rows cannot be deleted or rewritten', async () => {
    await stack.newUser('pro');
    await expect(db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(db.query("UPDATE audit_log SET action = 'user.created'")).rejects.toThrow(/pseudonymised/);
  });

  it('pages newest first by cursor, every row exactly once', async () => {
    for (let i = 0; i < 3; i++) await stack.newUser('pro');
    const all: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await stack.admin('GET', `/admin/audit?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { data: AuditEvent[]; has_more: boolean; next_cursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(4);
      all.push(...page.data.map((e) => e.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 1000);
    const { rows } = await db.query<{ id: string }>('SELECT id::text AS id FROM audit_log ORDER BY audit_log.id DESC');
    expect(all).toEqual(rows.map((r) => r.id));
    expect(pages).toBeGreaterThan(1);
    for (const query of ['limit=0', 'limit=5000', 'cursor=abc', 'cursor=-1']) {
      const res = await stack.admin('GET', `/admin/audit?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe(query.split('=')[0]);
    }
  });
});

describe('spend reports', () => {
  it('totals per model per UTC day and calendar month, tokens split into input, cached input and output', async () => {
    const { userId, apiKey } = await stack.newUser('pro');
    const rows: [string, string, number, number, number, number][] = [
      // timestamp, model, input, cached input, output, cost
      ['2026-10-31T23:59:59Z', 'gpt-4o', 100, 40, 10, 0.5],
      ['2026-11-01T00:00:00Z', 'gpt-4o', 200, 0, 20, 1],
      ['2026-11-01T12:00:00Z', 'gpt-4o', 300, 100, 30, 1.5],
      ['2026-11-01T13:00:00Z', 'gpt-4o-mini', 1000, 500, 100, 0.25],
      ['2026-11-30T23:00:00Z', 'gpt-4o-mini', 10, 0, 1, 0.125],
    ];
    for (const [ts, model, input, cached, output, cost] of rows) {
      await db.query(
        `INSERT INTO usage_logs (request_id, user_id, timestamp, input_tokens, cached_input_tokens, output_tokens, total_tokens, cost_usd, model, endpoint, status_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '/chat/completions', 200)`,
        [`r-${crypto.randomUUID()}`, userId, ts, input, cached, output, input + output, cost, model],
      );
    }
    const window = 'from=2026-10-01T00:00:00Z&to=2026-12-01T00:00:00Z';
    const own = (await (
      await fetch(`${replica(1)}/v1/usage?${window}`, { headers: { authorization: `Bearer ${apiKey}` } })
    ).json()) as Record<string, unknown>;
    const admin = (await (await stack.admin('GET', `/admin/users/${userId}/usage?${window}`)).json()) as Record<string, unknown>;
    // [requests, input, cached input, output, cost]
    const line = (period: string, model: string, [requests, input, cached, output, cost]: number[]): Record<string, unknown> => ({
      period,
      model,
      requests,
      input_tokens: input,
      cached_input_tokens: cached,
      output_tokens: output,
      total_tokens: (input ?? 0) + (output ?? 0),
      cost_usd: cost,
    });
    const expected = {
      daily: [
        line('2026-11-30', 'gpt-4o-mini', [1, 10, 0, 1, 0.125]),
        line('2026-11-01', 'gpt-4o', [2, 500, 100, 50, 2.5]),
        line('2026-11-01', 'gpt-4o-mini', [1, 1000, 500, 100, 0.25]),
        line('2026-10-31', 'gpt-4o', [1, 100, 40, 10, 0.5]),
      ],
      monthly: [
        line('2026-11', 'gpt-4o', [2, 500, 100, 50, 2.5]),
        line('2026-11', 'gpt-4o-mini', [2, 1010, 500, 101, 0.375]),
        line('2026-10', 'gpt-4o', [1, 100, 40, 10, 0.5]),
      ],
      totals: { requests: 5, input_tokens: 1610, cached_input_tokens: 640, output_tokens: 161, cost_usd: 3.375 },
    };
    for (const report of [own, admin]) expect(report).toMatchObject(expected);
    expect(admin).toMatchObject({ object: 'usage_report', user_id: userId });
    expect((await stack.admin('GET', `/admin/users/${crypto.randomUUID()}/usage`)).status).toBe(404);
    expect((await stack.admin('GET', `/admin/users/${userId}/usage?from=yesterday`)).status).toBe(400);
  });

  it('records the cached input tokens a provider reports, and the report shows them', async () => {
    const { apiKey } = await stack.newUser('pro');
    expect((await stack.addProviderKey(apiKey, 'anthropic', USER_ANTHROPIC_KEY)).status).toBe(201);
    const before = stack.anthropic.behaviour;
    stack.anthropic.behaviour = { ...before, cacheReadTokens: 30 };
    try {
      expect((await chat(replica(1), apiKey, 'claude')).status).toBe(200);
    } finally {
      stack.anthropic.behaviour = before;
    }
    type Report = {
      totals: { requests: number; input_tokens: number; cached_input_tokens: number };
      daily: { model: string; cached_input_tokens: number }[];
    };
    let report: Report | undefined;
    for (const since = Date.now(); Date.now() - since < 10_000; ) {
      report = (await (await fetch(`${replica(0)}/v1/usage`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as Report;
      if (report.totals.requests > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(report?.totals.cached_input_tokens).toBe(30);
    expect(report?.totals.input_tokens).toBeGreaterThanOrEqual(30);
    expect(report?.daily).toMatchObject([{ model: 'claude', cached_input_tokens: 30 }]);
  });
});
