// The memory store against the Qdrant emulator, for what a real Qdrant cannot be asked to do on
// cue: be slow, drop connections, answer 503, go away. Also the store's own guarantees that hold
// before any I/O: no point is touched without a user id (at compile time and at run time), bad
// input is refused without a request, and no error message ever carries the API key.
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import '../setup/provided.ts';
import { queryLexicalVector } from '../../gateway/memory/embedding/lexical-vector.ts';
import { MemoryStoreError } from '../../gateway/memory/store/memory-store-error.ts';
import type { MemoryStore, NewMemory, ScopeRef } from '../../gateway/memory/store/memory-store.ts';
import { QdrantMemoryStore } from '../../gateway/memory/store/qdrant-memory-store.ts';
import { startQdrantEmulator, type QdrantEmulator } from '../stubs/qdrant-emulator.ts';

const API_KEY = 'qdrant-secret-key-do-not-print';
const DIMENSION = 4;
/** Bound on how long a failing call may take: far above the timeouts used, far below a hang. */
const QUICK_MS = 1_500;

let emulator: QdrantEmulator;
let store: QdrantMemoryStore;

function newStore(overrides: { url?: string; apiKey?: string; timeoutMs?: number; dimension?: number } = {}): QdrantMemoryStore {
  return new QdrantMemoryStore({
    url: overrides.url ?? emulator.url,
    apiKey: overrides.apiKey ?? API_KEY,
    baseCollection: 'conversations',
    embedder: { id: 'builtin-hash-v1', dimension: overrides.dimension ?? DIMENSION },
    timeoutMs: overrides.timeoutMs ?? 250,
  });
}

function memory(userId: string, extra: Partial<NewMemory> = {}): NewMemory {
  return {
    userId,
    conversationId: 'c1',
    role: 'user',
    text: 'remember me',
    createdAt: 1_700_000_000_000,
    requestId: 'req-1',
    chunk: 0,
    vector: [1, 0, 0, 0],
    ...extra,
  };
}

async function failure(promise: Promise<unknown>): Promise<{ err: MemoryStoreError; ms: number }> {
  const started = performance.now();
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = performance.now() - started;
  expect(err).toBeInstanceOf(MemoryStoreError);
  return { err: err as MemoryStoreError, ms };
}

beforeAll(async () => {
  emulator = await startQdrantEmulator({ apiKey: API_KEY });
  store = newStore();
  await store.ensureCollection();
});

afterEach(() => {
  emulator.knobs.delayMs = 0;
  emulator.knobs.down = false;
});

afterAll(async () => {
  await emulator.close();
});

describe('names and ids', () => {
  it('names the collection after the embedding space and the storage schema: base, embedder slug, dimension and schema', () => {
    expect(store.collection).toBe('conversations__builtin-hash-v1__4__hybrid-v1');
    const provider = new QdrantMemoryStore({
      url: emulator.url,
      baseCollection: 'mem',
      embedder: { id: 'openai:text-embedding-3-small', dimension: 1536 },
    });
    expect(provider.collection).toBe('mem__openai-text-embedding-3-small__1536__hybrid-v1');
  });

  it('refuses a malformed URL, base name or timeout at construction, without echoing the URL', () => {
    expect(() => new QdrantMemoryStore({ url: 'qdrant:6333', baseCollection: 'c', embedder: { id: 'm', dimension: 4 } })).toThrow(
      /http:\/\/ or https:\/\//,
    );
    expect(() => new QdrantMemoryStore({ url: 'http://user:pw@[bad', baseCollection: 'c', embedder: { id: 'm', dimension: 4 } })).toThrow(
      /not a valid URL/,
    );
    expect(
      () => new QdrantMemoryStore({ url: 'http://user:pw@[bad', baseCollection: 'c', embedder: { id: 'm', dimension: 4 } }),
    ).not.toThrow(/pw/);
    expect(() => new QdrantMemoryStore({ url: emulator.url, baseCollection: 'a/b', embedder: { id: 'm', dimension: 4 } })).toThrow(
      /base name/,
    );
    expect(
      () => new QdrantMemoryStore({ url: emulator.url, baseCollection: 'c', embedder: { id: 'm', dimension: 4 }, timeoutMs: 0 }),
    ).toThrow(/timeout/);
  });

  it('gives each (user, request, role, chunk) one stable UUID, different for another user', async () => {
    const [a1] = await store.upsert([memory('ids-a')]);
    const [a2] = await store.upsert([memory('ids-a')]);
    const [b] = await store.upsert([memory('ids-b')]);
    expect(a1).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a2).toBe(a1);
    expect(b).not.toBe(a1);
  });
});

describe('no method reaches a point without a user id', () => {
  const vector = [1, 0, 0, 0];

  it('is a compile-time error to leave the user id out', () => {
    // A scope ({userId, endUser}) or a bare account id (the account's own scope).
    expectTypeOf<MemoryStore['search']>().parameter(0).toEqualTypeOf<ScopeRef>();
    expectTypeOf<MemoryStore['count']>().parameter(0).toEqualTypeOf<ScopeRef>();
    expectTypeOf<MemoryStore['scroll']>().parameter(0).toEqualTypeOf<ScopeRef>();
    expectTypeOf<MemoryStore['deleteById']>().parameter(0).toEqualTypeOf<ScopeRef>();
    expectTypeOf<MemoryStore['deleteConversation']>().parameter(0).toEqualTypeOf<ScopeRef>();
    expectTypeOf<MemoryStore['deleteScope']>().parameter(0).toEqualTypeOf<ScopeRef>();
    expectTypeOf<MemoryStore['deleteUser']>().parameter(0).toEqualTypeOf<string>();
    expectTypeOf<ScopeRef>().exclude<string>().toHaveProperty('endUser').toEqualTypeOf<string | undefined>();
    expectTypeOf<NewMemory['userId']>().toEqualTypeOf<string>();
    // Never called: these lines exist for tsc, which must reject each of them.
    const neverCalled = (s: MemoryStore): unknown[] => [
      // @ts-expect-error the user id is required
      s.search(vector, { limit: 1 }),
      // @ts-expect-error the user id is required
      s.count(),
      // @ts-expect-error the user id is required
      s.deleteUser(),
      // @ts-expect-error the user id is required
      s.scroll({ limit: 1 }),
      // @ts-expect-error a scope says which end user, even when it is none
      s.count({ userId: 'u' }),
      // @ts-expect-error a memory without a user id is not a NewMemory
      s.upsert([{ conversationId: null, role: 'user', text: 't', createdAt: 1, requestId: 'r', chunk: 0, vector }]),
    ];
    expect(typeof neverCalled).toBe('function');
  });

  const missing: [string, unknown][] = [
    ['an empty string', ''],
    ['blanks', '   '],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
  ];

  it.each(missing)('refuses %s as a user id in every method, before any request', async (_what, userId) => {
    const id = userId as string;
    const before = emulator.requests.length;
    const calls: Promise<unknown>[] = [
      store.search(id, vector, { limit: 5 }),
      store.count(id),
      store.count(id, { conversationId: 'c1' }),
      store.scroll(id, { limit: 5 }),
      store.deleteById(id, '00000000-0000-4000-8000-000000000000'),
      store.deleteById(id, 'malformed'),
      store.deleteConversation(id, 'c1'),
      store.deleteScope(id),
      store.deleteScope({ userId: id, endUser: 'alice' }),
      store.deleteUser(id),
      store.upsert([memory(id)]),
    ];
    for (const call of calls) {
      const { err } = await failure(call);
      expect(err.code).toBe('invalid_argument');
      expect(err.message).toMatch(/user id/);
    }
    expect(emulator.requests.length).toBe(before);
  });

  it('refuses a blank end user instead of widening to the account, before any request', async () => {
    const before = emulator.requests.length;
    for (const endUser of ['', '   ', 'x'.repeat(513)]) {
      for (const call of [
        store.count({ userId: 'u', endUser }),
        store.deleteScope({ userId: 'u', endUser }),
        store.upsert([memory('u', { endUser })]),
      ]) {
        const { err } = await failure(call);
        expect(err.code).toBe('invalid_argument');
        expect(err.message).toMatch(/end user/);
      }
    }
    expect(emulator.requests.length).toBe(before);
  });

  it('refuses an empty conversation id instead of dropping the narrowing', async () => {
    expect((await failure(store.deleteConversation('u', ''))).err.code).toBe('invalid_argument');
    expect((await failure(store.count('u', { conversationId: '' }))).err.code).toBe('invalid_argument');
  });
});

describe('input checks before any request', () => {
  it('refuses vectors of the wrong length or with NaN, bad limits, thresholds and cursors', async () => {
    const before = emulator.requests.length;
    const cases: Promise<unknown>[] = [
      store.search('u', [1, 0, 0], { limit: 5 }),
      store.search('u', [1, 0, 0, Number.NaN], { limit: 5 }),
      store.search('u', [1, 0, 0, 0], { limit: 0 }),
      store.search('u', [1, 0, 0, 0], { limit: 101 }),
      store.search('u', [1, 0, 0, 0], { limit: 5, scoreThreshold: Number.POSITIVE_INFINITY }),
      store.scroll('u', { limit: 5, offset: 'not-a-cursor' }),
      store.scroll('u', { limit: 1.5 }),
      store.upsert([memory('u', { vector: new Float32Array(3) })]),
      store.upsert([memory('u', { text: '' })]),
      store.upsert([memory('u', { role: 'system' as 'user' })]),
      store.upsert([memory('u', { createdAt: -1 })]),
      store.upsert([memory('u'), memory('u', { chunk: -1 })]),
    ];
    for (const call of cases) expect((await failure(call)).err.code).toBe('invalid_argument');
    expect(emulator.requests.length).toBe(before);
    expect(await store.count('u')).toBe(0); // the valid first item of the last batch was not written either
  });

  it('answers not found for unknown or malformed ids without asking Qdrant about malformed ones', async () => {
    const before = emulator.requests.length;
    expect(await store.deleteById('u', 'abc')).toBe(false);
    expect(await store.deleteById('u', '')).toBe(false);
    expect(await store.deleteById('u', '123')).toBe(false);
    expect(emulator.requests.length).toBe(before);
    expect(await store.deleteById('u', '6f1c0f4e-1b7a-4c1e-9a3b-2f0b8e6d5c4a')).toBe(false);
    expect(emulator.requests.slice(before).every((r) => r.status === 200)).toBe(true);
  });

  it('accepts Float32Array vectors (what embedders return) and stores nothing for an empty batch', async () => {
    const before = emulator.requests.length;
    expect(await store.upsert([])).toEqual([]);
    expect(emulator.requests.length).toBe(before);
    const [id] = await store.upsert([memory('f32', { vector: new Float32Array([0, 1, 0, 0]) })]);
    const hits = await store.search('f32', new Float32Array([0, 1, 0, 0]), { limit: 1 });
    expect(hits.map((h) => h.id)).toEqual([id]);
    expect(hits[0]?.score).toBeCloseTo(1, 5);
  });
});

describe('a slow, failing or absent Qdrant', () => {
  it('times out quickly on a slow Qdrant with a retryable MemoryStoreError', async () => {
    emulator.knobs.delayMs = 5_000;
    const { err, ms } = await failure(store.search('u', [1, 0, 0, 0], { limit: 5 }));
    expect(err.code).toBe('timeout');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('within 250 ms');
    expect(ms).toBeLessThan(QUICK_MS);
  });

  it("honours a per-call timeout and the caller's AbortSignal", async () => {
    emulator.knobs.delayMs = 5_000;
    const timed = await failure(store.count('u', { timeoutMs: 50 }));
    expect(timed.err.code).toBe('timeout');
    expect(timed.ms).toBeLessThan(QUICK_MS);

    const patient = newStore({ timeoutMs: 60_000 });
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 50);
    const aborted = await failure(patient.search('u', [1, 0, 0, 0], { limit: 5, signal: controller.signal }));
    expect(aborted.err.code).toBe('aborted');
    expect(aborted.err.retryable).toBe(false);
    expect(aborted.ms).toBeLessThan(QUICK_MS);

    const already = await failure(patient.count('u', { signal: AbortSignal.abort() }));
    expect(already.err.code).toBe('aborted');
  });

  it('reports dropped connections and 503 as unavailable, quickly', async () => {
    emulator.knobs.down = 'reset';
    const reset = await failure(store.count('u'));
    expect(reset.err.code).toBe('unavailable');
    expect(reset.ms).toBeLessThan(QUICK_MS);

    emulator.knobs.down = 'unavailable';
    const busy = await failure(store.search('u', [1, 0, 0, 0], { limit: 5 }));
    expect(busy.err.code).toBe('unavailable');
    expect(busy.err.status).toBe(503);
    expect(busy.err.retryable).toBe(true);
    expect((await failure(store.health())).err.code).toBe('unavailable');
  });

  it('recovers on the next call once Qdrant is back', async () => {
    emulator.knobs.down = 'reset';
    await failure(store.count('recover'));
    emulator.knobs.down = false;
    await store.upsert([memory('recover')]);
    expect(await store.count('recover')).toBe(1);
  });

  it('reports an address where nothing listens as unreachable, naming the origin but no credentials', async () => {
    const gone = await startQdrantEmulator();
    const url = gone.url.replace('http://', 'http://admin:hunter2@');
    await gone.close();
    const { err, ms } = await failure(newStore({ url }).count('u'));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/is unreachable \(ECONNREFUSED\)/);
    expect(err.message).not.toContain('hunter2');
    expect(ms).toBeLessThan(QUICK_MS);
  });

  it('health fails with not_found, saying why, when the collection is missing; a point operation creates it', async () => {
    const other = newStore({ dimension: 8 });
    const { err } = await failure(other.health());
    expect(err.code).toBe('not_found');
    expect(err.message).toContain('the next memory operation creates it again');
    await expect(other.search('u', new Array<number>(8).fill(0.5), { limit: 1 })).resolves.toEqual([]);
    await other.health();
  });
});

describe('errors never carry the API key', () => {
  it('keeps the key out of messages, JSON and stacks, whatever the failure', async () => {
    const wrong = newStore({ apiKey: `${API_KEY}-but-wrong` });
    const errors: MemoryStoreError[] = [(await failure(wrong.count('u'))).err, (await failure(wrong.ensureCollection())).err];
    emulator.knobs.delayMs = 5_000;
    errors.push((await failure(store.count('u'))).err);
    emulator.knobs.delayMs = 0;
    emulator.knobs.down = 'unavailable';
    errors.push((await failure(store.search('u', [1, 0, 0, 0], { limit: 1 }))).err);
    expect(errors.map((e) => e.code)).toEqual(['unauthorized', 'unauthorized', 'timeout', 'unavailable']);
    expect(errors[0]?.message).toMatch(/Qdrant answered 401 .*Check the Qdrant API key/);
    for (const err of errors) {
      const everything = `${err.message} ${JSON.stringify(err)} ${err.stack ?? ''} ${String(err)}`;
      expect(everything).not.toContain(API_KEY);
    }
  });
});

describe('the emulator at scale', () => {
  it('searches 100k points of 384 dimensions well under a second per query', async () => {
    const size = 384;
    const count = 100_000;
    const big = newStore({ dimension: size, timeoutMs: 10_000 });
    await big.ensureCollection();
    // Deterministic pseudo-random vectors, in one buffer; seeded directly (100k points would be
    // hundreds of MB of JSON).
    const data = new Float32Array(count * size);
    let state = 1;
    for (let i = 0; i < data.length; i++) {
      state = (Math.imul(state, 1_103_515_245) + 12_345) | 0;
      data[i] = ((state >>> 8) & 0xffff) / 0x8000 - 1;
    }
    const heavy = 'heavy-user';
    const uuidFor = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    emulator.seed(
      big.collection,
      Array.from({ length: count }, (_, i) => ({
        id: uuidFor(i),
        vector: data.subarray(i * size, (i + 1) * size),
        payload: {
          user_id: i % 10 === 0 ? 'light-user' : heavy,
          conversation_id: null,
          role: 'user',
          text: `t${i}`,
          created_at: i,
          request_id: `r${i}`,
          chunk: 0,
          content_hash: 'x',
        },
      })),
    );
    expect(emulator.pointCount(big.collection)).toBe(count);
    const query = Array.from(data.subarray(5 * size, 6 * size));
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await big.count(heavy).then((n) => {
        expect(n).toBe(90_000);
      });
      timings.push(performance.now() - started);
    }
    const searchTimings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const hits = await big.search(heavy, query, { limit: 10 });
      searchTimings.push(performance.now() - started);
      expect(hits.map((h) => h.payload.text)[0]).toBe('t5');
      expect(hits).toHaveLength(10);
    }
    const rawStarted = performance.now();
    const res = await fetch(`${emulator.url}/collections/${big.collection}/points/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': API_KEY },
      body: JSON.stringify({ query, limit: 3, filter: { must: [{ key: 'user_id', match: { value: heavy } }] } }),
    });
    const body = (await res.json()) as { result: { points: { id: string; score: number }[] } };
    const rawMs = performance.now() - rawStarted;
    expect(body.result.points[0]?.id).toBe(uuidFor(5));
    expect(body.result.points[0]?.score).toBeCloseTo(1, 4);
    expect(Math.max(...searchTimings, rawMs)).toBeLessThan(1_000);
    console.log(
      `[qdrant-emulator] 100k x 384: search ${searchTimings.map((t) => t.toFixed(0)).join('/')} ms, raw query ${rawMs.toFixed(0)} ms, count ${timings.map((t) => t.toFixed(0)).join('/')} ms`,
    );
  });
});

describe('the hybrid query as sent', () => {
  it('carries the scope filter inside every prefetch and at the root, and the lexical vector of the question', async () => {
    const scoped = newStore();
    await scoped.ensureCollection();
    await scoped.upsert([
      {
        userId: 'acct',
        endUser: 'alice',
        conversationId: null,
        role: 'user',
        text: 'my greyhound is called Biscuit',
        createdAt: 1,
        requestId: 'r1',
        chunk: 0,
        vector: [1, 0, 0, 0],
      },
    ]);
    const before = emulator.requests.length;
    const hits = await scoped.search({ userId: 'acct', endUser: 'alice' }, [1, 0, 0, 0], {
      limit: 5,
      text: 'greyhound name?',
      scoreThreshold: 0.1,
    });
    expect(hits.map((h) => h.payload.text)).toEqual(['my greyhound is called Biscuit']);
    const sent = emulator.requests.slice(before).find((r) => r.path.endsWith('/points/query'))?.body as {
      filter: unknown;
      prefetch: { filter: unknown; using?: string; query: unknown; score_threshold?: number }[];
      query: unknown;
    };
    const scope = {
      must: [
        { key: 'user_id', match: { value: 'acct' } },
        { key: 'end_user', match: { value: 'alice' } },
        // Recall never sees a fact a later one superseded (memory/facts/).
        { is_empty: { key: 'superseded_by' } },
      ],
    };
    expect(sent.filter).toEqual(scope);
    expect(sent.prefetch).toHaveLength(2);
    for (const prefetch of sent.prefetch) expect(prefetch.filter).toEqual(scope);
    expect(sent.prefetch[0]?.score_threshold).toBe(0.1);
    expect(sent.prefetch[1]).toMatchObject({ using: 'lexical', query: queryLexicalVector('greyhound name?') });
    expect(sent.query).toEqual({ fusion: 'rrf' });
  });

  it('asks for uncompressed answers (a compressed answer stalls 40 ms on a kept-alive connection: see the store)', async () => {
    const before = emulator.requests.length;
    await newStore().count('anyone');
    expect(emulator.requests.slice(before).map((r) => r.acceptEncoding)).toEqual(['identity']);
  });
});
