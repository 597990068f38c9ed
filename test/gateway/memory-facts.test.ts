// Write-time fact extraction through the real gateway process (issue 17 item 3): the OpenAI stub
// plays both the chat model and the extractor (scripted by the prompt it receives), Qdrant is the
// real server when its binary is beside the repository and the emulator otherwise, PostgreSQL is
// real. Facts are stored beside the raw turns, recalled with them, superseded (kept, no longer
// recalled) by a later fact about the same subject, never seen by another end user or account;
// each extractor call is a usage row of its own; garbage and timeouts are counted and lose no turn;
// a tier without extraction makes no extractor call.
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXTRACTION_INSTRUCTION, FENCE_CLOSE, FENCE_OPEN } from '../../gateway/memory/facts/extraction-prompt.ts';
import '../setup/provided.ts';
import { eventually } from '../support/eventually.ts';
import { startStack, USER_OPENAI_KEY, type Stack } from '../support/gateway-stack.ts';

const MODEL = 'gpt-4o-mini';
const HEADER = 'x-perpetual-end-user';
const TIMEOUT_MS = 1500;
const LISBON = 'The user lives in Lisbon.';
const PORTO = 'The user lives in Porto since March 2026.';

let stack: Stack;
let db: pg.Client;

interface Account {
  userId: string;
  apiKey: string;
  openai: OpenAI;
}

interface Listed {
  id: string;
  text: string;
  role: string;
  kind: string;
  subject: string | null;
  superseded_by: string | null;
}

interface ExtractionData {
  exchanges: { label: string; user: string; assistant: string }[];
  known_facts: { label: string; subject: string | null; text: string }[];
}

type Message = { role: string; content: string };

function isExtraction(messages: readonly Message[]): boolean {
  return messages[0]?.content === EXTRACTION_INSTRUCTION;
}

/** The exchanges and known facts an extraction prompt carried. */
function extractionData(messages: readonly Message[]): ExtractionData {
  const text = messages[1]?.content ?? '';
  return JSON.parse(text.slice(text.indexOf(FENCE_OPEN) + FENCE_OPEN.length, text.indexOf(FENCE_CLOSE))) as ExtractionData;
}

/** The scripted extractor: a fact per keyword, garbage for GARBAGE, too slow for SLOW, nothing otherwise. */
function extractor(data: ExtractionData): { reply: string; delayMs?: number } {
  const said = data.exchanges.map((e) => e.user).join('\n');
  const fact = (text: string, subject: string | null, supersedes: string[] = []) =>
    JSON.stringify({ facts: [{ text, speaker: 'user', subject, exchange: 'E1', supersedes }] });
  if (said.includes('GARBAGE')) return { reply: 'Sorry, as an AI model I cannot do that.' };
  if (said.includes('SLOW')) return { reply: fact('The user has a dog named Rex.', 'user.dog.name'), delayMs: TIMEOUT_MS * 3 };
  if (said.includes('moved to Lisbon')) return { reply: fact(LISBON, 'user.home_city') };
  if (said.includes('moved to Porto')) {
    const shown = data.known_facts.find((k) => k.text === LISBON)?.label;
    return { reply: fact(PORTO, 'user.home_city', shown ? [shown] : []) };
  }
  return { reply: '{"facts": []}' };
}

function chatRequests(): Message[][] {
  return stack.openai.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => (r.body as { messages: Message[] }).messages);
}

const extractions = (): ExtractionData[] => chatRequests().filter(isExtraction).map(extractionData);

/** The prompt of the last chat (not extraction) the upstream received. */
function lastPrompt(): string {
  const last = chatRequests()
    .filter((m) => !isExtraction(m))
    .at(-1);
  return (last ?? []).map((m) => m.content).join('\n');
}

beforeAll(async () => {
  const real = inject('qdrantServer');
  console.log(`[memory-facts] Qdrant: ${real ? 'the real server' : 'the in-repo emulator (no Qdrant binary beside the repository)'}`);
  stack = await startStack({
    postgresUrl: inject('postgresUrl'),
    redisUrl: inject('redisUrl'),
    memory: !real,
    ...(real ? { env: { QDRANT_URL: real.url, QDRANT_API_KEY: real.apiKey, QDRANT_COLLECTION: `facts${String(Date.now())}` } } : {}),
    config: {
      mode: 'proxy',
      models: [{ name: MODEL, provider: 'openai', upstreamModel: MODEL }],
      memory: {
        enabled: true,
        topK: 10,
        tokenBudget: 1000,
        retrievalTimeoutMs: 1000,
        factExtraction: {
          enabled: true,
          model: MODEL,
          tiers: ['pro', 'enterprise'],
          batchSize: 1,
          flushIntervalMs: 100,
          timeoutMs: TIMEOUT_MS,
        },
      },
    },
  });
  stack.openai.behaviour.script = ({ messages }) =>
    isExtraction(messages as Message[]) ? extractor(extractionData(messages as Message[])) : undefined;
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db.end();
  await stack.stop();
});

async function account(tier: string): Promise<Account> {
  const { userId, apiKey } = await stack.newUser(tier);
  expect((await stack.addProviderKey(apiKey, 'openai', USER_OPENAI_KEY)).status).toBe(201);
  return { userId, apiKey, openai: new OpenAI({ apiKey, baseURL: `${stack.url}/v1`, maxRetries: 0 }) };
}

async function say(who: Account, endUser: string | undefined, text: string, conversationId = 'c-1'): Promise<void> {
  const headers = { 'x-conversation-id': conversationId, ...(endUser === undefined ? {} : { [HEADER]: endUser }) };
  await who.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: text }] }, { headers });
}

async function list(who: Account, endUser: string | undefined): Promise<Listed[]> {
  const res = await fetch(`${stack.url}/v1/memories?limit=200`, {
    headers: { authorization: `Bearer ${who.apiKey}`, ...(endUser === undefined ? {} : { [HEADER]: endUser }) },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Listed[] }).data;
}

const texts = (items: readonly Listed[]): string[] => items.map((m) => m.text);

async function metric(name: string, reason: string): Promise<number> {
  const text = await (await fetch(`${stack.url}/metrics`)).text();
  const match = new RegExp(`^${name}\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text);
  return Number(match?.[1] ?? 0);
}

describe('facts extracted after the response', () => {
  let app: Account;

  beforeAll(async () => {
    app = await account('pro');
    await say(app, 'alice', 'Big news: I just moved to Lisbon for a new job.');
    // The fact and the raw turns are written by separate queues: wait for both.
    await eventually(async () => {
      expect(texts(await list(app, 'alice'))).toEqual(expect.arrayContaining([LISBON, 'Big news: I just moved to Lisbon for a new job.']));
    }, 15_000);
  });

  it('stores the fact beside the raw turns, and recalls both', async () => {
    const stored = texts(await list(app, 'alice'));
    expect(stored).toContain('Big news: I just moved to Lisbon for a new job.');
    await say(app, 'alice', 'Which city did I move to, where do I live?', 'c-2');
    expect(lastPrompt()).toContain(`fact: ${LISBON}`);
    expect(lastPrompt()).toContain('user: Big news: I just moved to Lisbon');
  });

  it('supersedes the old fact with a later one about the same subject: kept, no longer recalled', async () => {
    await say(app, 'alice', 'Update: we moved to Porto this month, Lisbon was too expensive.');
    // The batch stores the new fact, then marks the old one: wait for the mark, not only the fact.
    await eventually(async () => {
      const listed = await list(app, 'alice');
      expect(texts(listed)).toContain(PORTO);
      expect(listed.find((m) => m.text === LISBON)?.superseded_by).toEqual(expect.any(String));
    }, 15_000);
    // The extractor was shown the Lisbon fact it replaces, and only alice's facts.
    const shown = extractions().find((e) => e.exchanges.some((x) => x.user.includes('moved to Porto')));
    expect(shown?.known_facts.map((k) => k.text)).toEqual([LISBON]);
    await say(app, 'alice', 'Which city do I live in?', 'c-3');
    expect(lastPrompt()).toContain(`fact: ${PORTO}`);
    expect(lastPrompt()).not.toContain(`fact: ${LISBON}`);
    // Never deleted: still listed.
    expect(texts(await list(app, 'alice'))).toContain(LISBON);
  });

  it('lists every memory with its kind, and a fact with its subject and what superseded it', async () => {
    const listed = await list(app, 'alice');
    const porto = listed.find((m) => m.text === PORTO);
    expect(porto).toMatchObject({ kind: 'fact', subject: 'user.home_city', superseded_by: null });
    expect(listed.find((m) => m.text === LISBON)).toMatchObject({ kind: 'fact', subject: 'user.home_city', superseded_by: porto?.id });
    expect(listed.find((m) => m.text.startsWith('Big news: I just moved to Lisbon'))).toMatchObject({
      kind: 'turn',
      role: 'user',
      subject: null,
      superseded_by: null,
    });
    expect(listed.every((m) => m.kind === 'turn' || m.kind === 'fact')).toBe(true);
  });

  it('shows no fact to another end user of the account, to its own scope, or to another account', async () => {
    const other = await account('pro');
    for (const [who, endUser] of [
      [app, 'bob'],
      [app, undefined],
      [other, 'alice'],
      [other, undefined],
    ] as const) {
      await say(who, endUser, 'Where is home for me, which city did I move to?', 'c-1');
      expect(lastPrompt()).not.toMatch(/Lisbon|Porto/);
      expect(texts(await list(who, endUser)).join('\n')).not.toMatch(/Lisbon|Porto/);
    }
    // Their own extraction prompts never carried alice's facts either.
    for (const e of extractions()) {
      if (e.exchanges.some((x) => x.user.startsWith('Where is home for me')))
        expect(e.known_facts.map((k) => k.text).join()).not.toMatch(/Porto/);
    }
  });

  it('logs every extractor call as a usage row of its own on the same account and API key', async () => {
    const rows = await eventually(async () => {
      const { rows } = await db.query<{
        model: string;
        provider: string;
        total_tokens: number;
        status_code: number;
        api_key_id: string | null;
      }>(
        "SELECT model, provider, total_tokens, status_code, api_key_id FROM usage_logs WHERE user_id = $1 AND endpoint = 'memory.extract'",
        [app.userId],
      );
      expect(rows.length).toBeGreaterThanOrEqual(3);
      return rows;
    }, 10_000);
    // The key the chats came with: per-key usage and per-key budgets (rebuilt from these rows) count extraction too.
    const keys = await db.query<{ id: string }>('SELECT id FROM api_keys WHERE user_id = $1', [app.userId]);
    expect(keys.rows).toHaveLength(1);
    for (const row of rows) expect(row).toMatchObject({ model: MODEL, provider: 'openai', status_code: 200, api_key_id: keys.rows[0]?.id });
    expect(rows.every((r) => r.total_tokens > 0)).toBe(true);
  });
});

describe('deleting a memory', () => {
  async function remove(who: Account, endUser: string | undefined, id: string): Promise<number> {
    const res = await fetch(`${stack.url}/v1/memories/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${who.apiKey}`, ...(endUser === undefined ? {} : { [HEADER]: endUser }) },
    });
    return res.status;
  }

  it('deletes the facts extracted from the deleted turn, in its scope only', async () => {
    const app = await account('pro');
    await say(app, 'erin', 'Big news: I just moved to Lisbon, and my cat came along.');
    const listed = await eventually(async () => {
      const found = await list(app, 'erin');
      expect(texts(found)).toContain(LISBON);
      expect(found.filter((m) => m.kind === 'turn')).toHaveLength(2);
      return found;
    }, 15_000);
    const turn = listed.find((m) => m.kind === 'turn' && m.role === 'user');
    expect(turn).toBeDefined();
    // Another end user of the account cannot delete erin's turn, nor its facts with it.
    expect(await remove(app, 'frank', turn?.id ?? '')).toBe(404);
    expect(texts(await list(app, 'erin'))).toContain(LISBON);

    expect(await remove(app, 'erin', turn?.id ?? '')).toBe(200);
    const left = await list(app, 'erin');
    expect(texts(left)).not.toContain(LISBON);
    expect(left.map((m) => m.kind)).toEqual(['turn']); // the assistant's answer: a fact's source, not a fact's
    await say(app, 'erin', 'Which city did I move to, where do I live?', 'c-2');
    expect(lastPrompt()).not.toContain(`fact: ${LISBON}`);
  });
});

describe('extraction failures', () => {
  it('counts a garbage answer and a timeout, and keeps the raw turns', async () => {
    const app = await account('enterprise');
    const [garbage, timeout] = [
      await metric('perpetual_memory_extraction_failures_total', 'garbage'),
      await metric('perpetual_memory_extraction_failures_total', 'timeout'),
    ];
    await say(app, 'carol', 'GARBAGE in: my cat is called Tom.');
    await say(app, 'carol', 'SLOW news: my dog is called Rex.', 'c-2');
    await eventually(async () => {
      expect(await metric('perpetual_memory_extraction_failures_total', 'garbage')).toBeGreaterThan(garbage);
      expect(await metric('perpetual_memory_extraction_failures_total', 'timeout')).toBeGreaterThan(timeout);
    }, 15_000);
    const stored = texts(await list(app, 'carol'));
    expect(stored).toEqual(expect.arrayContaining(['GARBAGE in: my cat is called Tom.', 'SLOW news: my dog is called Rex.']));
    expect(stored).not.toContain('The user has a dog named Rex.');
  });

  it('makes no extractor call for a tier without extraction', async () => {
    const free = await account('free');
    await say(free, 'dave', 'My favourite colour is teal.');
    await eventually(async () => {
      expect(texts(await list(free, 'dave'))).toContain('My favourite colour is teal.');
    }, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(extractions().some((e) => e.exchanges.some((x) => x.user.includes('teal')))).toBe(false);
  });
});
