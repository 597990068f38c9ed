// Usage and billing cannot be evaded through the caller's X-Request-Id (issue 13, item 1). The
// id is the caller's to choose, so it may repeat: within one tenant (two chats, one id), across
// tenants (B sends A's id), or in a replay. Every answered request must still leave its own
// usage_logs row, its own Polar event and its own memories; and caller text that PostgreSQL
// cannot store (a NUL in the conversation id) must not cost the request its row.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { startPolarStub, type PolarStub } from '../stubs/polar-stub.ts';
import { eventually } from '../support/eventually.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

let stack: Stack;
let polar: PolarStub;
let db: pg.Client;

beforeAll(async () => {
  polar = await startPolarStub();
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    memory: true,
    config: {
      mode: 'proxy',
      models: [{ name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' }],
      memory: { enabled: true, topK: 5, tokenBudget: 1000, retrievalTimeoutMs: 300 },
    },
    env: { POLAR_API_KEY: polar.token, POLAR_ORGANIZATION_ID: 'org_test', POLAR_BASE_URL: polar.url },
  });
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db.end();
  await stack.stop();
  await polar.close();
});

interface Tenant {
  userId: string;
  apiKey: string;
}

async function tenant(): Promise<Tenant> {
  const made = await stack.newUser('enterprise');
  expect((await stack.addProviderKey(made.apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
  return made;
}

async function chat(who: Tenant, requestId: string, body: Record<string, unknown> = {}): Promise<Response> {
  const res = await fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${who.apiKey}`, 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], ...body }),
  });
  await res.text();
  return res;
}

interface Row {
  request_id: string;
  client_request_id: string | null;
  conversation_id: string | null;
  model: string;
  status_code: number;
  total_tokens: number;
}

async function rowsOf(who: Tenant, count: number): Promise<Row[]> {
  return eventually(async () => {
    const { rows } = await db.query<Row>(
      'SELECT request_id, client_request_id, conversation_id, model, status_code, total_tokens FROM usage_logs WHERE user_id = $1 ORDER BY timestamp, id',
      [who.userId],
    );
    expect(rows).toHaveLength(count);
    return rows;
  }, 10_000);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("usage keyed on the gateway's own request id", () => {
  it("logs and bills two chats sent under one X-Request-Id twice, and echoes the caller's id", async () => {
    const a = await tenant();
    const id = 'req_same_id_twice_0001';
    for (const res of [await chat(a, id), await chat(a, id)]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe(id);
    }

    const rows = await rowsOf(a, 2);
    expect(rows.map((r) => r.client_request_id)).toEqual([id, id]);
    expect(rows.every((r) => UUID.test(r.request_id))).toBe(true);
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(2);
    const { rows: totals } = await db.query<{ total_requests: number }>('SELECT total_requests FROM users WHERE id = $1', [a.userId]);
    expect(totals[0]?.total_requests).toBe(2);

    // Polar de-duplicates on external_id: two requests must be two events.
    await eventually(() => {
      const events = polar.events.filter((e) => e.external_customer_id === a.userId);
      expect(events.map((e) => e.external_id).sort()).toEqual(rows.map((r) => r.request_id).sort());
      expect(events.map((e) => e.metadata?.client_request_id)).toEqual([id, id]);
    }, 15_000);
  });

  it("gives tenant B its own row and event for A's X-Request-Id, and leaves A's untouched", async () => {
    const a = await tenant();
    const b = await tenant();
    const id = 'req_borrowed_by_b_0001';
    expect((await chat(a, id)).status).toBe(200);
    const [before] = await rowsOf(a, 1);

    expect((await chat(b, id, { messages: [{ role: 'user', content: 'a longer message from b to tell the rows apart' }] })).status).toBe(
      200,
    );
    const [mine] = await rowsOf(b, 1);
    expect(mine).toMatchObject({ client_request_id: id, status_code: 200 });
    expect(mine?.request_id).not.toBe(before?.request_id);
    expect(await rowsOf(a, 1)).toEqual([before]);

    await eventually(() => {
      const forA = polar.events.filter((e) => e.external_customer_id === a.userId);
      const forB = polar.events.filter((e) => e.external_customer_id === b.userId);
      expect(forA.map((e) => e.external_id)).toEqual([before?.request_id]);
      expect(forB.map((e) => e.external_id)).toEqual([mine?.request_id]);
    }, 15_000);
  });

  it('keeps the row of a chat whose conversation id holds a NUL and whose model name is odd', async () => {
    const a = await tenant();
    // Odd, but within what the gateway accepts as a model name (chat/model-name.ts) and header-safe.
    const model = 'openai/ft:Odd.Model_v1:org::x@2026+beta';
    const res = await chat(a, 'req_nul_conversation_0001', { model, conversation_id: 'conv\u0000nul' });
    expect(res.status).toBe(200);

    const [row] = await rowsOf(a, 1);
    expect(row).toMatchObject({
      conversation_id: 'conv\uFFFDnul',
      model,
      status_code: 200,
      client_request_id: 'req_nul_conversation_0001',
    });
    expect(row?.total_tokens).toBeGreaterThan(0);
    await eventually(() => {
      const events = polar.events.filter((e) => e.external_customer_id === a.userId);
      expect(events).toHaveLength(1);
      expect(events[0]?.metadata).toMatchObject({ conversation_id: 'conv\uFFFDnul', model });
    }, 15_000);
  });

  it('keeps a row for a request without an X-Request-Id, under the id its response carries', async () => {
    const a = await tenant();
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'no id from me' }] }),
    });
    expect(res.status).toBe(200);
    const echoed = res.headers.get('x-request-id') ?? '';
    expect(echoed).toMatch(/^req_[0-9a-f]{32}$/);
    const [row] = await rowsOf(a, 1);
    expect(row?.client_request_id).toBe(echoed);
    expect(row?.request_id.replaceAll('-', '')).toBe(echoed.slice('req_'.length));
  });

  it("stores a replayed X-Request-Id's exchange beside the first one instead of over it", async () => {
    const a = await tenant();
    const id = 'req_replayed_memory_0001';
    expect((await chat(a, id, { messages: [{ role: 'user', content: 'my favourite colour is teal' }] })).status).toBe(200);
    expect((await chat(a, id, { messages: [{ role: 'user', content: 'my cat is called Biscuit' }] })).status).toBe(200);

    await eventually(async () => {
      const res = await fetch(`${stack.url}/v1/memories`, { headers: { authorization: `Bearer ${a.apiKey}` } });
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: { role: string; text: string; request_id: string }[] };
      const said = data
        .filter((m) => m.role === 'user')
        .map((m) => m.text)
        .sort();
      expect(said).toEqual(['my cat is called Biscuit', 'my favourite colour is teal']);
      expect(new Set(data.filter((m) => m.role === 'user').map((m) => m.request_id)).size).toBe(2);
    }, 15_000);
  });
});
