// Memory scoped to (account, end user) through the real gateway process (issue 12, item 1): a
// server-side app uses one API key for all its users, names each one (OpenAI `user`, Anthropic
// `metadata.user_id` or the x-perpetual-end-user header), and one end user's memories never reach
// another's chat or any memory endpoint; the account's own memories (no end user) are a third,
// separate scope. Erasure works per end user and for the whole account.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { eventually } from '../support/eventually.ts';
import { QDRANT_TEST_API_KEY, startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

const MODEL = 'gpt-4o-mini';
const HEADER = 'x-perpetual-end-user';
const ALICE_SECRET = 'My password hint is zebra-42 and my doctor is Dr Okafor.';
const APP_FACT = 'The support desk of this app closes at noon on Fridays.';

let stack: Stack;

interface Account {
  userId: string;
  apiKey: string;
  openai: OpenAI;
  anthropic: Anthropic;
}

/** Who a request speaks for: OpenAI's `user` or `safety_identifier`, the header, several, or none (the account). */
interface As {
  user?: string;
  safety?: string;
  header?: string;
}

interface Listed {
  id: string;
  text: string;
  conversation_id: string | null;
  end_user: string | null;
}

beforeAll(async () => {
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    memory: true,
    config: {
      mode: 'proxy',
      models: [{ name: MODEL, provider: 'openai', upstreamModel: MODEL }],
      memory: { enabled: true, topK: 5, tokenBudget: 1000, retrievalTimeoutMs: 300 },
    },
  });
});

afterAll(async () => {
  await stack.stop();
});

async function account(): Promise<Account> {
  const { userId, apiKey } = await stack.newUser('enterprise');
  expect((await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
  return {
    userId,
    apiKey,
    openai: new OpenAI({ apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 }),
    anthropic: new Anthropic({ apiKey, baseURL: stack.url, maxRetries: 0, timeout: 20_000 }),
  };
}

function headersFor(as: As): Record<string, string> {
  return as.header === undefined ? {} : { [HEADER]: as.header };
}

async function say(app: Account, text: string, as: As, conversationId = 'c-main') {
  // Typed loosely on purpose: the SDK marks `user` deprecated, and it is exactly what apps still send.
  const fields: Record<string, string> = {
    ...(as.user === undefined ? {} : { user: as.user }),
    ...(as.safety === undefined ? {} : { safety_identifier: as.safety }),
  };
  return app.openai.chat.completions
    .create(
      {
        model: MODEL,
        messages: [
          { role: 'system', content: 'You are a helpful assistant.' },
          { role: 'user', content: text },
        ],
        ...fields,
      },
      { headers: { 'x-conversation-id': conversationId, ...headersFor(as) } },
    )
    .withResponse();
}

/** What the upstream received last: the prompt the model saw. */
function lastPrompt(): string {
  const body = stack.openai.requests.at(-1)?.body as { messages: { content: string }[] };
  return body.messages.map((m) => m.content).join('\n');
}

function api(
  app: Account,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Response> {
  return fetch(`${stack.url}/v1/memories${path}`, {
    method,
    headers: { authorization: `Bearer ${app.apiKey}`, 'content-type': 'application/json', ...options.headers },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
}

async function list(app: Account, query = '', headers: Record<string, string> = {}): Promise<Listed[]> {
  const res = await api(app, 'GET', `?limit=200${query}`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Listed[] }).data;
}

async function search(
  app: Account,
  query: string,
  extra: { headers?: Record<string, string>; end_user?: string; qs?: string } = {},
): Promise<Listed[]> {
  const res = await api(app, 'POST', `/search${extra.qs ?? ''}`, {
    ...(extra.headers ? { headers: extra.headers } : {}),
    body: { query, top_k: 50, ...(extra.end_user === undefined ? {} : { end_user: extra.end_user }) },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Listed[] }).data;
}

const mentions = (items: readonly { text: string }[], word: string): boolean => items.some((m) => m.text.includes(word));

describe('two end users behind one key', () => {
  let shop: Account;
  let aliceIds: string[];

  beforeAll(async () => {
    shop = await account();
    await say(shop, ALICE_SECRET, { user: 'alice' }, 'c-alice');
    await say(shop, APP_FACT, {}, 'c-app');
    await say(shop, 'I like hiking in the mountains.', { header: 'bob' }, 'c-bob');
    aliceIds = await eventually(async () => {
      const alice = await list(shop, '&end_user=alice');
      expect(alice).toHaveLength(2);
      expect(await list(shop)).toHaveLength(2);
      expect(await list(shop, '', { [HEADER]: 'bob' })).toHaveLength(2);
      return alice.map((m) => m.id);
    }, 10_000);
  });

  it("never injects alice's memories into bob's chat (the reported leak)", async () => {
    for (const as of [{ user: 'bob' }, { header: 'bob' }]) {
      const { response } = await say(shop, 'Who is my doctor?', as, 'c-bob-ask');
      expect(lastPrompt()).not.toContain('Okafor');
      expect(lastPrompt()).not.toContain('zebra-42');
      const ids = (response.headers.get('x-perpetual-memory-ids') ?? '').split(',').filter(Boolean);
      expect(ids.some((id) => aliceIds.includes(id))).toBe(false);
    }
    // The same conversation id does not bridge end users either.
    await say(shop, 'Who is my doctor?', { user: 'bob' }, 'c-alice');
    expect(lastPrompt()).not.toContain('Okafor');
  });

  it("recalls alice's memories for alice, by `user` or by header", async () => {
    for (const as of [{ user: 'alice' }, { header: 'alice' }, { safety: 'alice' }]) {
      const { response } = await say(shop, 'Who is my doctor?', as, 'c-alice-ask');
      expect(response.headers.get('x-perpetual-memory')).toBe('hit');
      expect(lastPrompt()).toContain('Dr Okafor');
      expect(lastPrompt()).not.toContain('hiking');
      expect(lastPrompt()).not.toContain('support desk');
      const ids = (response.headers.get('x-perpetual-memory-ids') ?? '').split(',').filter(Boolean);
      expect(ids.length).toBeGreaterThan(0);
      // Alice's earlier questions are hers too by now: every id recalled is among her memories.
      const hers = (await list(shop, '&end_user=alice')).map((m) => m.id);
      expect(ids.every((id) => hers.includes(id))).toBe(true);
    }
  });

  it("the header wins over the body's `user` (the documented precedence)", async () => {
    await say(shop, 'Who is my doctor?', { header: 'alice', user: 'bob' }, 'c-precedence');
    expect(lastPrompt()).toContain('Dr Okafor');
    await say(shop, 'Who is my doctor?', { header: 'bob', user: 'alice' }, 'c-precedence');
    expect(lastPrompt()).not.toContain('Dr Okafor');
  });

  it("keeps the account's own scope separate from its end users, both ways", async () => {
    const own = await say(shop, 'Who is my doctor? And when does the support desk close?', {}, 'c-app-ask');
    expect(lastPrompt()).not.toContain('Okafor');
    expect(lastPrompt()).toContain('closes at noon');
    expect((own.response.headers.get('x-perpetual-memory-ids') ?? '').split(',').some((id) => aliceIds.includes(id))).toBe(false);
    for (const as of [{ user: 'alice' }, { user: 'bob' }]) {
      await say(shop, 'When does the support desk close?', as, 'c-desk');
      expect(lastPrompt()).not.toContain('closes at noon');
    }
  });

  it('lists and searches only the scope asked for, by query parameter, header or search body', async () => {
    await eventually(async () => {
      expect(mentions(await list(shop), 'support desk close')).toBe(true);
    }, 10_000);
    const own = await list(shop);
    expect(mentions(own, 'Okafor')).toBe(false);
    expect(own.every((m) => m.end_user === null)).toBe(true);
    for (const bob of [await list(shop, '&end_user=bob'), await list(shop, '', { [HEADER]: 'bob' })]) {
      expect(bob.length).toBeGreaterThan(0);
      expect(bob.every((m) => m.end_user === 'bob')).toBe(true);
      expect(mentions(bob, 'Okafor')).toBe(false);
      expect(mentions(bob, 'closes at noon')).toBe(false);
    }
    const alice = await list(shop, '&end_user=alice');
    expect(alice.every((m) => m.end_user === 'alice')).toBe(true);
    expect(mentions(alice, 'Okafor')).toBe(true);
    expect(mentions(alice, 'hiking')).toBe(false);
    expect(mentions(await list(shop, '&end_user=carol'), 'Okafor')).toBe(false);
    expect(mentions(await list(shop, '&conversation_id=c-alice&end_user=bob'), 'Okafor')).toBe(false);

    for (const extra of [{}, { end_user: 'bob' }, { headers: { [HEADER]: 'bob' } }, { qs: '?end_user=bob' }]) {
      expect(mentions(await search(shop, 'doctor Okafor password hint zebra', extra), 'Okafor')).toBe(false);
    }
    expect(mentions(await search(shop, 'doctor Okafor password hint zebra', { end_user: 'alice' }), 'Okafor')).toBe(true);
  });

  it("cannot delete another scope's memory by id or by conversation", async () => {
    const others: Record<string, string>[] = [{}, { [HEADER]: 'bob' }];
    for (const headers of others) {
      for (const id of aliceIds) expect((await api(shop, 'DELETE', `/${id}`, { headers })).status).toBe(404);
      const byConversation = await api(shop, 'DELETE', '?conversation_id=c-alice', { headers });
      expect(byConversation.status).toBe(200);
    }
    expect((await list(shop, '&end_user=alice')).map((m) => m.id)).toEqual(expect.arrayContaining(aliceIds));
    const [first] = aliceIds;
    const own = await api(shop, 'DELETE', `/${first ?? ''}?end_user=alice`);
    expect(own.status).toBe(200);
    expect((await list(shop, '&end_user=alice')).some((m) => m.id === first)).toBe(false);
  });
});

describe('Anthropic metadata.user_id names the same end user', () => {
  it('stores under metadata.user_id and recalls for that end user in either dialect, and for nobody else', async () => {
    const app = await account();
    await app.anthropic.messages.create({
      model: MODEL,
      max_tokens: 64,
      metadata: { user_id: 'carol' },
      messages: [{ role: 'user', content: 'My cat is named Biscuit.' }],
    });
    await eventually(async () => {
      expect(await list(app, '&end_user=carol')).toHaveLength(2);
    }, 10_000);
    expect(await list(app)).toEqual([]);

    await say(app, 'What is my cat named?', { user: 'carol' });
    expect(lastPrompt()).toContain('Biscuit');
    const viaHeader = await app.anthropic.messages
      .create(
        { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'What is my cat named?' }] },
        { headers: { [HEADER]: 'carol' } },
      )
      .withResponse();
    expect(viaHeader.response.headers.get('x-perpetual-memory')).toBe('hit');
    expect(lastPrompt()).toContain('Biscuit');

    await app.anthropic.messages.create({
      model: MODEL,
      max_tokens: 64,
      metadata: { user_id: 'dan' },
      messages: [{ role: 'user', content: 'What is my cat named?' }],
    });
    expect(lastPrompt()).not.toContain('Biscuit');
    await app.anthropic.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'What is my cat named?' }] });
    expect(lastPrompt()).not.toContain('Biscuit');
  });
});

describe("an invalid end user is a 400 in the caller's dialect, naming the field", () => {
  let app: Account;
  const long = 'x'.repeat(257);

  beforeAll(async () => {
    app = await account();
  });

  async function openAIError(
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: { error: { param: string | null; code: string; type: string; message: string } } }> {
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.apiKey}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], ...body }),
    });
    return {
      status: res.status,
      body: (await res.json()) as { error: { param: string | null; code: string; type: string; message: string } },
    };
  }

  async function anthropicError(
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: { type: string; error: { type: string; message: string } } }> {
    const res = await fetch(`${stack.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': app.apiKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], ...body }),
    });
    return { status: res.status, body: (await res.json()) as { type: string; error: { type: string; message: string } } };
  }

  it("on /v1/chat/completions, in OpenAI's shape", async () => {
    const before = stack.openai.requests.length;
    const cases: [Record<string, unknown>, Record<string, string>, string][] = [
      [{ user: long }, {}, 'user'],
      [{ user: 'alice\nbob' }, {}, 'user'],
      [{ safety_identifier: 'a\u0000b' }, {}, 'safety_identifier'],
      [{ user: 42 }, {}, 'user'],
      [{}, { [HEADER]: long }, HEADER],
      [{}, { [HEADER]: 'ali\tce' }, HEADER],
    ];
    for (const [body, headers, param] of cases) {
      const { status, body: error } = await openAIError(body, headers);
      expect(status, param).toBe(400);
      expect(error.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_end_user', param });
      expect(error.error.message).toContain(param);
    }
    expect(stack.openai.requests.length).toBe(before);
  });

  it("on /v1/messages, in Anthropic's shape", async () => {
    for (const [body, headers, param] of [
      [{ metadata: { user_id: long } }, {}, 'metadata.user_id'],
      [{ metadata: { user_id: 'a\u0007b' } }, {}, 'metadata.user_id'],
      [{}, { [HEADER]: long }, HEADER],
    ] as const) {
      const { status, body: error } = await anthropicError(body, headers);
      expect(status).toBe(400);
      expect(error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      expect(error.error.message).toContain(param);
    }
  });

  it('on /v1/memories', async () => {
    const res = await api(app, 'GET', `?end_user=${long}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_end_user', param: 'end_user' } });
    expect((await api(app, 'GET', '?end_user=a&end_user=b')).status).toBe(400);
    expect((await api(app, 'POST', '/search', { body: { query: 'x', end_user: 'a\nb' } })).status).toBe(400);
  });
});

describe('erasure', () => {
  let clinic: Account;

  async function seed(): Promise<void> {
    await say(clinic, 'My blood type is AB negative.', { user: 'alice' }, 'c-1');
    await say(clinic, 'My blood type is O positive.', { user: 'bob' }, 'c-1');
    await say(clinic, 'The clinic opens at eight.', {}, 'c-1');
    await eventually(async () => {
      expect(await list(clinic, '&end_user=alice')).toHaveLength(2);
      expect(await list(clinic, '&end_user=bob')).toHaveLength(2);
      expect(await list(clinic)).toHaveLength(2);
    }, 10_000);
  }

  beforeAll(async () => {
    clinic = await account();
    await seed();
  });

  it("deletes one end user's memories, then the account's own, each leaving the others", async () => {
    const bob = await api(clinic, 'DELETE', '?all=true&end_user=bob');
    expect(await bob.json()).toMatchObject({ all: true, end_user: 'bob', deleted: 2 });
    expect(await list(clinic, '&end_user=bob')).toEqual([]);
    expect(await list(clinic, '&end_user=alice')).toHaveLength(2);
    expect(await list(clinic)).toHaveLength(2);

    const own = await api(clinic, 'DELETE', '?all=true');
    expect(await own.json()).toMatchObject({ all: true, end_user: null, deleted: 2 });
    expect(await list(clinic)).toEqual([]);
    expect(await list(clinic, '&end_user=alice')).toHaveLength(2);

    const byHeader = await api(clinic, 'DELETE', '?conversation_id=c-1', { headers: { [HEADER]: 'alice' } });
    expect(await byHeader.json()).toMatchObject({ end_user: 'alice', deleted: 2 });
  });

  it('empties the whole account with include_end_users=true, and refuses it combined with an end user', async () => {
    await seed();
    expect((await api(clinic, 'DELETE', '?all=true&include_end_users=true&end_user=alice')).status).toBe(400);
    const all = await api(clinic, 'DELETE', '?all=true&include_end_users=true');
    expect(await all.json()).toMatchObject({ all: true, include_end_users: true, deleted: 6 });
    for (const query of ['', '&end_user=alice', '&end_user=bob']) expect(await list(clinic, query)).toEqual([]);
  });

  it("account deletion removes every end user's memories too", async () => {
    await seed();
    const res = await stack.admin('DELETE', `/admin/users/${clinic.userId}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ deleted: true, removed: { memories: 6 } });
    // Straight from the vector store: no point of the account is left, whatever its end user.
    const qdrant = stack.qdrant;
    if (!qdrant) throw new Error('no emulator');
    for (const collection of qdrant.collections()) {
      const res = await fetch(`${qdrant.url}/collections/${collection}/points/count`, {
        method: 'POST',
        headers: { 'api-key': QDRANT_TEST_API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ exact: true, filter: { must: [{ key: 'user_id', match: { value: clinic.userId } }] } }),
      });
      expect(((await res.json()) as { result: { count: number } }).result.count).toBe(0);
    }
  });
});
