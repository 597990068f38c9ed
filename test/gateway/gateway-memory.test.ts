// Perpetual memory through the real gateway process, with the Qdrant emulator as the vector store:
// a fact stated early is recalled later through the chat path, users never see each other's
// memories through any endpoint, Qdrant trouble never fails a chat, and deleting a user leaves
// nothing behind.
import { join } from 'node:path';
import { SignJWT } from 'jose';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { collectionName } from '../../gateway/memory/store/collection-name.ts';
import { freePort, REPO_ROOT, run } from '../harness/processes.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../support/gateway.ts';
import { QDRANT_TEST_API_KEY, startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

let stack: Stack;

interface Person {
  userId: string;
  apiKey: string;
  client: OpenAI;
}

beforeAll(async () => {
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    memory: true,
    config: {
      mode: 'proxy',
      models: [{ name: 'gpt-4o-mini', provider: 'openai', upstreamModel: 'gpt-4o-mini' }],
      memory: { enabled: true, topK: 5, tokenBudget: 1000, retrievalTimeoutMs: 300 },
      // The "over its limit" tests' tier; everyone else is enterprise.
      tiers: { free: { requestsPerMinute: 2, requestsPerDay: 1000 } },
    },
  });
});

afterAll(async () => {
  await stack.stop();
});

async function person(): Promise<Person> {
  const { userId, apiKey } = await stack.newUser('enterprise');
  expect((await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
  return { userId, apiKey, client: new OpenAI({ apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 }) };
}

async function say(who: Person, text: string, conversationId: string, headers: Record<string, string> = {}) {
  return who.client.chat.completions
    .create(
      {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You are a helpful assistant.' },
          { role: 'user', content: text },
        ],
      },
      { headers: { 'x-conversation-id': conversationId, ...headers } },
    )
    .withResponse();
}

async function memories(who: Person, query = ''): Promise<{ data: { id: string; text: string; conversation_id: string | null }[] }> {
  const res = await fetch(`${stack.url}/v1/memories${query}`, { headers: { authorization: `Bearer ${who.apiKey}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { data: { id: string; text: string; conversation_id: string | null }[] };
}

function lastUpstreamMessages(): { role: string; content: string }[] {
  return (stack.openai.requests.at(-1)?.body as { messages: { role: string; content: string }[] }).messages;
}

const SMALL_TALK = [
  'the weather is nice today',
  'I had pasta for lunch',
  'do you like jazz music',
  'my commute was long this morning',
  'I am reading a novel about whales',
];

let ada: Person;
let bob: Person;

describe('recall through the chat path', () => {
  beforeAll(async () => {
    [ada, bob] = await Promise.all([person(), person()]);
  });

  it('remembers a fact stated many turns earlier and injects it after the static system prompt', async () => {
    await say(ada, 'My sister is called Priya and she lives in Lisbon.', 'c-early');
    for (const [i, text] of SMALL_TALK.entries()) await say(ada, text, `c-talk-${String(i)}`);
    await eventually(async () => {
      expect((await memories(ada)).data.length).toBeGreaterThanOrEqual(12);
    }, 10_000);

    const { response } = await say(ada, 'What is the name of my sister?', 'c-late');
    expect(response.headers.get('x-perpetual-memory')).toBe('hit');
    expect(response.headers.get('x-perpetual-memory-ids')).not.toBe('');
    expect(Number(response.headers.get('x-perpetual-retrieval-ms'))).toBeGreaterThan(0);
    const sent = lastUpstreamMessages();
    expect(sent).toHaveLength(2);
    expect(sent[0]?.role).toBe('system');
    expect(sent[0]?.content.startsWith('You are a helpful assistant.\n\n<perpetual-memory>')).toBe(true);
    expect(sent[0]?.content).toContain('Priya');
    expect(sent[1]).toEqual({ role: 'user', content: 'What is the name of my sister?' });
  });

  it('never stores injected memories again', async () => {
    await eventually(async () => {
      const all = (await memories(ada, '?limit=200')).data;
      expect(all.some((m) => m.text.includes('What is the name of my sister?'))).toBe(true);
      expect(all.every((m) => !m.text.includes('perpetual-memory'))).toBe(true);
    }, 10_000);
  });

  it('honours per-request controls', async () => {
    const { response } = await say(ada, 'Off the record: where does my sister live?', 'c-off', { 'x-perpetual-memory': 'off' });
    expect(response.headers.get('x-perpetual-memory')).toBe('disabled');
    expect(lastUpstreamMessages().some((m) => m.content.includes('perpetual-memory'))).toBe(false);
    const scoped = await say(ada, 'Where does my sister live?', 'c-talk-1', { 'x-perpetual-memory-scope': 'conversation' });
    expect(lastUpstreamMessages().some((m) => m.content.includes('Priya'))).toBe(false);
    expect(scoped.response.headers.get('x-perpetual-memory')).not.toBe('error');
    // Writes are queued in order: once the later exchange is stored, the earlier one would be too.
    await eventually(async () => {
      const all = (await memories(ada, '?limit=200')).data;
      expect(all.some((m) => m.conversation_id === 'c-talk-1' && m.text === 'Where does my sister live?')).toBe(true);
      expect(all.some((m) => m.text.includes('Off the record'))).toBe(false);
    }, 10_000);
  });

  it('logs retrieval calls and latency in usage_logs', async () => {
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      await eventually(async () => {
        const { rows } = await db.query<{ retrieval_calls: number; retrieval_latency_ms: number | null; memory_tokens: number }>(
          'SELECT retrieval_calls, retrieval_latency_ms, memory_tokens FROM usage_logs WHERE user_id = $1 AND memory_tokens > 0',
          [ada.userId],
        );
        expect(rows.length).toBeGreaterThan(0);
        expect(rows[0]?.retrieval_calls).toBe(1);
        expect(rows[0]?.retrieval_latency_ms).toBeGreaterThan(0);
      }, 10_000);
    } finally {
      await db.end();
    }
    const metrics = await (await fetch(`${stack.url}/prometheus`)).text();
    expect(metrics).toMatch(/perpetual_retrievals_total\{result="hit"\} [1-9]/);
    expect(metrics).toMatch(/perpetual_retrieval_duration_seconds_count [1-9]/);
  });
});

describe('tenant isolation', () => {
  it("keeps one user's memories out of another's chats, lists, searches and deletes", async () => {
    const adaMemories = (await memories(ada, '?limit=200')).data;
    const priya = adaMemories.find((m) => m.text.includes('Priya'));
    expect(priya).toBeDefined();

    await say(bob, 'What is the name of my sister?', 'c-early');
    expect(lastUpstreamMessages().some((m) => m.content.includes('Priya'))).toBe(false);
    await say(bob, 'What is the name of my sister?', 'c-early', { 'x-perpetual-memory-scope': 'conversation' });
    expect(lastUpstreamMessages().some((m) => m.content.includes('Priya'))).toBe(false);

    const bobs = await eventually(async () => {
      const list = (await memories(bob, '?limit=200')).data;
      expect(list.length).toBeGreaterThan(0);
      return list;
    }, 10_000);
    expect(bobs.some((m) => m.text.includes('Priya'))).toBe(false);
    expect((await memories(bob, '?conversation_id=c-early')).data.every((m) => !m.text.includes('Priya'))).toBe(true);

    const search = await fetch(`${stack.url}/v1/memories/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'Priya Lisbon sister', top_k: 50 }),
    });
    expect(((await search.json()) as { data: { text: string }[] }).data.some((m) => m.text.includes('Priya'))).toBe(false);

    const steal = await fetch(`${stack.url}/v1/memories/${priya?.id ?? ''}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${bob.apiKey}` },
    });
    expect(steal.status).toBe(404);
    const wipeTheirs = await fetch(`${stack.url}/v1/memories?conversation_id=c-early`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${bob.apiKey}` },
    });
    expect(wipeTheirs.status).toBe(200);
    expect((await memories(ada, '?limit=200')).data.some((m) => m.id === priya?.id)).toBe(true);
  });
});

describe('the memory API', () => {
  it('searches, deletes one, a conversation, and everything, with clear errors', async () => {
    const carol = await person();
    await say(carol, 'I am allergic to peanuts.', 'c-food');
    await say(carol, 'I play the cello on Sundays.', 'c-music');
    await eventually(async () => {
      expect((await memories(carol)).data.length).toBe(4);
    }, 10_000);
    const post = (body: unknown): Promise<Response> =>
      fetch(`${stack.url}/v1/memories/search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${carol.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const found = (await (await post({ query: 'peanut allergy', top_k: 1 })).json()) as {
      data: { id: string; text: string; score: number }[];
    };
    expect(found.data).toHaveLength(1);
    expect(found.data[0]?.text).toContain('peanuts');
    expect((await post({ query: 'x'.repeat(9000) })).status).toBe(400);
    expect((await post({})).status).toBe(400);

    const del = (path: string): Promise<Response> =>
      fetch(`${stack.url}/v1/memories${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${carol.apiKey}` } });
    expect((await del(`/${found.data[0]?.id ?? ''}`)).status).toBe(200);
    expect((await del('/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    expect((await del('/not-an-id')).status).toBe(404);
    expect((await del('')).status).toBe(400);
    expect(await (await del('?conversation_id=c-music')).json()).toMatchObject({ deleted: 2 });
    expect(await (await del('?all=true')).json()).toMatchObject({ deleted: 1 });
    expect((await memories(carol)).data).toEqual([]);
  });
});

describe('when Qdrant is slow or down', () => {
  it('answers without memory, says so, and counts it', async () => {
    const qdrant = stack.qdrant;
    if (!qdrant) throw new Error('no emulator');
    try {
      qdrant.knobs.delayMs = 2000;
      const started = Date.now();
      const slow = await say(ada, 'What is the name of my sister?', 'c-slow');
      expect(slow.data.choices[0]?.message.content).toContain('sister');
      expect(slow.response.headers.get('x-perpetual-memory')).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(1500);
      qdrant.knobs.delayMs = 0;
      qdrant.knobs.down = 'reset';
      const down = await say(ada, 'What is the name of my sister?', 'c-down');
      expect(down.response.headers.get('x-perpetual-memory')).toBe('error');
      // /health caches its checks for two seconds.
      await eventually(async () => {
        const health = (await (await fetch(`${stack.url}/health`)).json()) as { status: string; vector_db_connected: boolean };
        expect(health).toMatchObject({ status: 'degraded', vector_db_connected: false });
      }, 5000);
      const listing = await fetch(`${stack.url}/v1/memories`, { headers: { authorization: `Bearer ${ada.apiKey}` } });
      expect(listing.status).toBe(503);
      expect(((await listing.json()) as { error: { code: string } }).error.code).toBe('memory_unavailable');
    } finally {
      qdrant.knobs.delayMs = 0;
      qdrant.knobs.down = false;
    }
    const metrics = await (await fetch(`${stack.url}/prometheus`)).text();
    expect(metrics).toMatch(/perpetual_retrievals_total\{result="timeout"\} [1-9]/);
    expect(metrics).toMatch(/perpetual_retrievals_total\{result="error"\} [1-9]/);
  });
});

describe('a caller over its limit', () => {
  it('gets its 429 in its own dialect, without memory headers and with nothing sent upstream', async () => {
    // The recall runs while the limit is decided (the built-in embedder makes it free): what the
    // limit refuses must still reach neither the upstream nor the answer.
    const { userId, apiKey } = await stack.newUser('free');
    expect((await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
    const limited: Person = { userId, apiKey, client: new OpenAI({ apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 }) };
    for (const text of ['I keep bees on my roof.', 'What do I keep on my roof?']) {
      const ok = await say(limited, text, 'c-limited');
      expect(ok.response.headers.get('x-perpetual-memory')).not.toBeNull();
    }
    const upstreamCalls = stack.openai.requests.length;

    const chat = (): Promise<Response> =>
      fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What do I keep?' }] }),
      });
    const refused = await chat();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.headers.get('x-perpetual-memory')).toBeNull();
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');

    const anthropic = await fetch(`${stack.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'What do I keep?' }] }),
    });
    expect(anthropic.status).toBe(429);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });

    for (let i = 0; i < 4; i++) expect((await chat()).status).toBe(429);

    expect(stack.openai.requests.length).toBe(upstreamCalls);
  });
});

describe('deleting a user', () => {
  it('leaves nothing behind in PostgreSQL or Qdrant, and the vector store key never leaks', async () => {
    const dave = await person();
    await say(dave, 'Remember that my locker code is 4471.', 'c-locker');
    await eventually(async () => {
      expect((await memories(dave)).data.length).toBe(2);
    }, 10_000);
    const res = await stack.admin('DELETE', `/admin/users/${dave.userId}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ deleted: true, removed: { users: 1, apiKeys: 1, providerKeys: 1, memories: 2 } });
    expect((await fetch(`${stack.url}/v1/models`, { headers: { authorization: `Bearer ${dave.apiKey}` } })).status).toBe(401);
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      for (const table of [
        'users WHERE id = $1',
        'api_keys WHERE user_id = $1',
        'usage_logs WHERE user_id = $1',
        'user_provider_keys WHERE user_id = $1',
      ]) {
        const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`, [dave.userId]);
        expect(rows[0]?.n, table).toBe(0);
      }
    } finally {
      await db.end();
    }
    const search = await fetch(`${stack.url}/v1/memories/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'locker code 4471' }),
    });
    expect(((await search.json()) as { data: { text: string }[] }).data.some((m) => m.text.includes('4471'))).toBe(false);
    expect(stack.gateways[0]?.logs()).not.toContain(QDRANT_TEST_API_KEY);
  });
});

describe('erasure and misconfiguration', () => {
  it('lets a user erase everything of theirs with their own session', async () => {
    const erin = await person();
    await say(erin, 'My favourite colour is teal.', 'c-colour');
    await eventually(async () => {
      expect((await memories(erin)).data.length).toBe(2);
    }, 10_000);
    const session = await new SignJWT({ role: 'authenticated' })
      .setAudience('authenticated')
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(erin.userId)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const res = await fetch(`${stack.url}/v1/account`, { method: 'DELETE', headers: { authorization: `Bearer ${session}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ deleted: true, removed: { users: 1, memories: 2 } });
    expect((await fetch(`${stack.url}/v1/memories`, { headers: { authorization: `Bearer ${erin.apiKey}` } })).status).toBe(401);
  });

  it('refuses to start when the collection holds vectors of another size, and says how to fix it', async () => {
    const qdrant = stack.qdrant;
    if (!qdrant) throw new Error('no emulator');
    qdrant.createCollection(collectionName('mismatch', 'builtin-hash-v1', 512), 768);
    const result = await run(process.execPath, [join(REPO_ROOT, 'gateway/main.ts'), 'serve'], {
      env: {
        ...stack.env,
        MODE: 'proxy',
        API_KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        QDRANT_COLLECTION: 'mismatch',
        API_HOST: '127.0.0.1',
        API_PORT: String(await freePort()),
      },
      timeoutMs: 20_000,
    });
    expect(result.code).toBe(2);
    const fatal = JSON.parse(result.stderr.trim().split('\n').at(-1) ?? '{}') as { msg?: string };
    expect(fatal.msg).toMatch(
      /^Invalid configuration: Qdrant collection "mismatch__builtin-hash-v1__512__hybrid-v1" has 768-dimensional vectors but the embedder "builtin-hash-v1" produces 512/,
    );
    expect(result.stderr).not.toContain(QDRANT_TEST_API_KEY);
  });
});
