// The Qdrant contract: everything the memory store relies on, asserted through the store (and,
// for envelopes and filters, through raw HTTP) against the in-repo emulator always, and against a
// real Qdrant: the server the test tier starts from ../shared/qdrant when it is there, or any
// server named by QDRANT_URL (QDRANT_API_KEY too if it needs one). Passing against
// both is what lets the rest of the suite trust the emulator. Each run works in its own
// collections (a random base name) and deletes them afterwards, so a shared Qdrant is safe.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { documentLexicalVector, queryLexicalVector } from '../../gateway/memory/embedding/lexical-vector.ts';
import { MemoryStoreError } from '../../gateway/memory/store/memory-store-error.ts';
import type { MemoryScope, MemoryStore, NewMemory, ScopeRef } from '../../gateway/memory/store/memory-store.ts';
import { QdrantMemoryStore } from '../../gateway/memory/store/qdrant-memory-store.ts';
import { startQdrantEmulator } from '../stubs/qdrant-emulator.ts';

const DIMENSION = 8;
const EMBEDDER = 'contract-embedder';
const SKIP_REAL = 'skipped: no Qdrant server binary beside the repository (../shared/qdrant/qdrant or QDRANT_BINARY) and no QDRANT_URL';

interface Connection {
  url: string;
  apiKey: string | undefined;
  close(): Promise<void>;
}

interface Target {
  name: string;
  skip?: string;
  connect(): Promise<Connection>;
}

const started = inject('qdrantServer');
const realUrl = process.env.QDRANT_URL ?? started?.url;
const realApiKey = process.env.QDRANT_URL ? process.env.QDRANT_API_KEY : started?.apiKey;
const targets: Target[] = [
  {
    name: 'Qdrant emulator',
    connect: async () => {
      const emulator = await startQdrantEmulator({ apiKey: 'contract-key' });
      return { url: emulator.url, apiKey: 'contract-key', close: () => emulator.close() };
    },
  },
  {
    name: `real Qdrant${realUrl ? ` at ${new URL(realUrl).origin}` : ''}`,
    ...(realUrl ? {} : { skip: SKIP_REAL }),
    connect: () => Promise.resolve({ url: realUrl ?? '', apiKey: realApiKey, close: () => Promise.resolve() }),
  },
];

interface RawReply {
  status: number;
  body: unknown;
}

/** A plain HTTP call, to see exactly what the server answers (the client hides envelopes). */
async function raw(connection: Connection, method: string, path: string, body?: unknown): Promise<RawReply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (connection.apiKey) headers['api-key'] = connection.apiKey;
  const res = await fetch(new URL(path, connection.url), {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    // plain-text answers (health endpoints, auth errors) stay text
  }
  return { status: res.status, body: parsed };
}

/** Same indices, values equal at float32 precision (Qdrant stores f32). */
function expectSparse(actual: unknown, expected: { indices: number[]; values: number[] }): void {
  const got = actual as { indices: number[]; values: number[] };
  expect(got.indices).toEqual(expected.indices);
  expect(got.values).toEqual(expected.values.map((v): unknown => expect.closeTo(v, 5)));
}

function unitLength(v: readonly number[]): number[] {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function unit(...components: number[]): number[] {
  const v = Array.from({ length: DIMENSION }, (_, i) => components[i] ?? 0);
  return v;
}

async function rejection(promise: Promise<unknown>): Promise<MemoryStoreError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MemoryStoreError);
  return err as MemoryStoreError;
}

describe.each(targets)('$name', (target) => {
  if (target.skip !== undefined) {
    it.skip(target.skip, () => undefined);
    return;
  }
  const run = `c${randomBytes(4).toString('hex')}`;
  const base = `contract_${run}`;
  const created: string[] = [];
  let connection: Connection;
  let store: MemoryStore;

  const user = (name: string): string => `${run}-${name}`;
  let requestSeq = 0;
  const memory = (userId: string, vector: number[], extra: Partial<NewMemory> = {}): NewMemory => ({
    userId,
    conversationId: 'conv-1',
    role: 'user',
    text: `memory ${++requestSeq}`,
    createdAt: 1_700_000_000_000 + requestSeq,
    requestId: `req-${requestSeq}`,
    chunk: 0,
    vector,
    ...extra,
  });
  const storeFor = (baseCollection: string, dimension = DIMENSION): QdrantMemoryStore => {
    const s = new QdrantMemoryStore({
      url: connection.url,
      apiKey: connection.apiKey,
      baseCollection,
      embedder: { id: EMBEDDER, dimension },
      timeoutMs: 10_000,
    });
    created.push(s.collection);
    return s;
  };

  beforeAll(async () => {
    connection = await target.connect();
    store = storeFor(base);
    await store.ensureCollection();
  });

  afterAll(async () => {
    for (const name of created) await raw(connection, 'DELETE', `/collections/${name}`);
    await connection.close();
  });

  describe('collection', () => {
    it('ensureCollection creates a Cosine collection of the embedder dimension with an IDF-weighted sparse vector, named after the embedding space and schema, with the tenant index', async () => {
      expect(store.collection).toBe(`${base}__${EMBEDDER}__${DIMENSION}__hybrid-v1`);
      const info = await raw(connection, 'GET', `/collections/${store.collection}`);
      expect(info.status).toBe(200);
      const result = (
        info.body as {
          result: {
            config: { params: { vectors: unknown; sparse_vectors?: unknown } };
            payload_schema: Record<string, { data_type: string; params?: Record<string, unknown> }>;
          };
        }
      ).result;
      expect(result.config.params.vectors).toMatchObject({ size: DIMENSION, distance: 'Cosine' });
      expect(result.config.params.sparse_vectors).toEqual({ lexical: { modifier: 'idf' } });
      expect(result.payload_schema.user_id).toMatchObject({ data_type: 'keyword', params: { is_tenant: true } });
      expect(result.payload_schema.end_user?.data_type).toBe('keyword');
      expect(result.payload_schema.conversation_id?.data_type).toBe('keyword');
      expect(result.payload_schema.created_at?.data_type).toBe('integer');
    });

    it('two replicas starting at once both succeed (the loser of the creation race gets 409 and carries on)', async () => {
      const a = storeFor(`${base}_race`);
      const b = storeFor(`${base}_race`);
      await Promise.all([a.ensureCollection(), b.ensureCollection(), a.ensureCollection()]);
      await a.health();
      await expect(b.count(user('nobody'))).resolves.toBe(0);
    });

    it('refuses at start-up a collection that holds vectors of another dimension, saying how to fix it', async () => {
      const mismatched = storeFor(`${base}_mm`);
      const put = await raw(connection, 'PUT', `/collections/${mismatched.collection}`, { vectors: { size: 16, distance: 'Cosine' } });
      expect(put.status).toBe(200);
      const err = await rejection(mismatched.ensureCollection());
      expect(err.code).toBe('dimension_mismatch');
      expect(err.message).toContain(
        `Qdrant collection "${mismatched.collection}" has 16-dimensional vectors but the embedder "${EMBEDDER}" produces ${DIMENSION}:`,
      );
      expect(err.message).toMatch(/Delete that collection .* or set a different vector-store collection base name/);
    });

    it('refuses at start-up a collection of the earlier (dense-only) schema that holds vectors of another dimension, rather than copying it', async () => {
      const legacyBase = `${base}_mmold`;
      const legacy = `${legacyBase}__${EMBEDDER}__${DIMENSION}`;
      created.push(legacy);
      expect((await raw(connection, 'PUT', `/collections/${legacy}`, { vectors: { size: 16, distance: 'Cosine' } })).status).toBe(200);
      const err = await rejection(storeFor(legacyBase).ensureCollection());
      expect(err.code).toBe('dimension_mismatch');
      expect(err.message).toContain(`Qdrant collection "${legacy}" has 16-dimensional vectors`);
    });

    it('a sparse vector cannot be added to an existing collection (so a new schema is a new collection)', async () => {
      const dense = `${base}_patch`;
      created.push(dense);
      expect((await raw(connection, 'PUT', `/collections/${dense}`, { vectors: { size: 2, distance: 'Cosine' } })).status).toBe(200);
      const patch = await raw(connection, 'PATCH', `/collections/${dense}`, { sparse_vectors: { lexical: { modifier: 'idf' } } });
      expect(patch.status).toBe(400);
      expect((patch.body as { status: { error: string } }).status.error).toBe('Wrong input: Not existing vector name error: lexical');
    });

    it('health resolves when the collection exists and fails with not_found when it does not', async () => {
      await store.health();
      const missing = storeFor(`${base}_missing`);
      expect((await rejection(missing.health())).code).toBe('not_found');
    });

    it('a collection lost while in use is created again by the next point operation, which then succeeds', async () => {
      const recreated: string[] = [];
      const lost = new QdrantMemoryStore({
        url: connection.url,
        apiKey: connection.apiKey,
        baseCollection: `${base}_lost`,
        embedder: { id: EMBEDDER, dimension: DIMENSION },
        timeoutMs: 10_000,
        onCollectionRecreated: (name) => recreated.push(name),
      });
      created.push(lost.collection);
      await lost.ensureCollection();
      await lost.upsert([memory(user('a'), unit(1))]);
      expect((await raw(connection, 'DELETE', `/collections/${lost.collection}`)).status).toBe(200);
      expect((await rejection(lost.health())).code).toBe('not_found');
      // A write brings the collection back and lands in it; the old point is gone with the old collection.
      await lost.upsert([memory(user('a'), unit(0, 1))]);
      await lost.health();
      expect(await lost.count(user('a'))).toBe(1);
      expect(recreated).toEqual([lost.collection]);
      // A read finds nothing rather than failing, and concurrent operations share one re-creation.
      expect((await raw(connection, 'DELETE', `/collections/${lost.collection}`)).status).toBe(200);
      const [hits, count] = await Promise.all([lost.search(user('a'), unit(1), { limit: 5 }), lost.count(user('a'))]);
      expect(hits).toEqual([]);
      expect(count).toBe(0);
      expect(recreated).toEqual([lost.collection, lost.collection]);
      // With its tenant index, as at start-up.
      const info = await raw(connection, 'GET', `/collections/${lost.collection}`);
      expect(
        (info.body as { result: { payload_schema: Record<string, { params?: Record<string, unknown> }> } }).result.payload_schema.user_id
          ?.params,
      ).toMatchObject({ is_tenant: true });
    });
  });

  describe('wire format', () => {
    it('answers in Qdrant envelopes with Qdrant status codes', async () => {
      const ok = await raw(connection, 'GET', `/collections/${store.collection}/exists`);
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ result: { exists: true }, status: 'ok' });
      expect(typeof (ok.body as { time: unknown }).time).toBe('number');

      const missing = await raw(connection, 'GET', `/collections/${base}_nope`);
      expect(missing.status).toBe(404);
      expect((missing.body as { status: { error: string } }).status.error).toBe(`Not found: Collection \`${base}_nope\` doesn't exist!`);

      const again = await raw(connection, 'PUT', `/collections/${store.collection}`, { vectors: { size: DIMENSION, distance: 'Cosine' } });
      expect(again.status).toBe(409);
      expect((again.body as { status: { error: string } }).status.error).toContain('already exists');

      const wrongSize = await raw(connection, 'PUT', `/collections/${store.collection}/points?wait=true`, {
        points: [{ id: 1, vector: [1, 0, 0], payload: {} }],
      });
      expect(wrongSize.status).toBe(400);
      expect((wrongSize.body as { status: { error: string } }).status.error).toContain(
        `Vector dimension error: expected dim: ${DIMENSION}, got 3`,
      );

      const badId = await raw(connection, 'PUT', `/collections/${store.collection}/points?wait=true`, {
        points: [{ id: 'not-a-uuid', vector: unit(1), payload: {} }],
      });
      expect(badId.status).toBe(400);
      expect((badId.body as { status: { error: string } }).status.error).toContain('Format error in JSON body');
    });

    it('serves the unauthenticated health endpoints and refuses a wrong API key', async () => {
      expect((await raw(connection, 'GET', '/healthz')).status).toBe(200);
      expect((await raw(connection, 'GET', '/readyz')).status).toBe(200);
      if (!connection.apiKey) return; // the server takes no key: nothing to refuse
      const wrong = await fetch(new URL(`/collections/${store.collection}/exists`, connection.url), {
        headers: { 'api-key': 'wrong-key' },
      });
      expect([401, 403]).toContain(wrong.status);
      const viaStore = new QdrantMemoryStore({
        url: connection.url,
        apiKey: 'wrong-key',
        baseCollection: base,
        embedder: { id: EMBEDDER, dimension: DIMENSION },
      });
      const err = await rejection(viaStore.count(user('a')));
      expect(err.code).toBe('unauthorized');
      expect(err.message).not.toContain('wrong-key');
    });
  });

  describe('writes and reads', () => {
    it('upsert is idempotent: the same (user, request, role, chunk) replaces its point', async () => {
      const who = user('idem');
      const first = memory(who, unit(1), { requestId: 'req-fixed', text: 'first text' });
      const ids1 = await store.upsert([first]);
      const ids2 = await store.upsert([first]);
      const ids3 = await store.upsert([{ ...first, text: 'replaced text' }]);
      expect(ids2).toEqual(ids1);
      expect(ids3).toEqual(ids1);
      expect(await store.count(who)).toBe(1);
      const page = await store.scroll(who, { limit: 10 });
      expect(page.memories.map((m) => m.payload.text)).toEqual(['replaced text']);
      // A different chunk or role of the same request is a different point.
      await store.upsert([
        { ...first, chunk: 1 },
        { ...first, role: 'assistant' },
      ]);
      expect(await store.count(who)).toBe(3);
    });

    it('stores the payload the store promises', async () => {
      const who = user('payload');
      const [id] = await store.upsert([
        memory(who, unit(0, 1), {
          conversationId: null,
          role: 'assistant',
          text: 'héllo ✓',
          createdAt: 1_700_000_123_456,
          requestId: 'req-p',
          chunk: 2,
        }),
      ]);
      const page = await store.scroll(who, { limit: 10 });
      expect(page.memories.map((m) => m.id)).toEqual([id]);
      expect(page.memories[0]?.payload).toEqual({
        user_id: who,
        conversation_id: null,
        role: 'assistant',
        text: 'héllo ✓',
        created_at: 1_700_000_123_456,
        request_id: 'req-p',
        chunk: 2,
        content_hash: createHash('sha256').update('héllo ✓').digest('hex'),
      });
    });

    it('search orders by cosine similarity (vectors need not be unit length) and honours limit and score_threshold', async () => {
      const who = user('order');
      await store.upsert([
        memory(who, unit(0, 5), { text: 'cos 0' }),
        memory(who, unit(2.4, 1.8), { text: 'cos 0.8' }),
        memory(who, unit(-1), { text: 'cos -1' }),
        memory(who, unit(0.6, 0.8), { text: 'cos 0.6' }),
        memory(who, unit(7), { text: 'cos 1' }),
      ]);
      const hits = await store.search(who, unit(1), { limit: 10 });
      expect(hits.map((h) => h.payload.text)).toEqual(['cos 1', 'cos 0.8', 'cos 0.6', 'cos 0', 'cos -1']);
      const expected = [1, 0.8, 0.6, 0, -1];
      hits.forEach((hit, i) => {
        expect(hit.score).toBeCloseTo(expected[i] ?? NaN, 5);
      });
      expect(hits.every((h) => /^[0-9a-f-]{36}$/.test(h.id))).toBe(true);

      expect((await store.search(who, unit(1), { limit: 2 })).map((h) => h.payload.text)).toEqual(['cos 1', 'cos 0.8']);
      expect((await store.search(who, unit(1), { limit: 10, scoreThreshold: 0.7 })).map((h) => h.payload.text)).toEqual([
        'cos 1',
        'cos 0.8',
      ]);
      expect((await store.search(who, unit(1), { limit: 10, scoreThreshold: 0.5 })).map((h) => h.payload.text)).toEqual([
        'cos 1',
        'cos 0.8',
        'cos 0.6',
      ]);
    });

    it('search, count and scroll narrow to one conversation', async () => {
      const who = user('convs');
      await store.upsert([
        memory(who, unit(1), { conversationId: 'conv-x', text: 'x1' }),
        memory(who, unit(1, 0.1), { conversationId: 'conv-x', text: 'x2' }),
        memory(who, unit(1, 0.2), { conversationId: 'conv-y', text: 'y1' }),
        memory(who, unit(1, 0.3), { conversationId: null, text: 'none' }),
      ]);
      expect((await store.search(who, unit(1), { limit: 10, conversationId: 'conv-x' })).map((h) => h.payload.text)).toEqual(['x1', 'x2']);
      expect(await store.count(who, { conversationId: 'conv-x' })).toBe(2);
      expect(await store.count(who, { conversationId: 'conv-y' })).toBe(1);
      expect(await store.count(who)).toBe(4);
      expect((await store.scroll(who, { limit: 10, conversationId: 'conv-y' })).memories.map((m) => m.payload.text)).toEqual(['y1']);
    });

    it("scroll pages through all of a user's memories in id order, each once, ending with a null cursor", async () => {
      const who = user('pages');
      const ids = await store.upsert(Array.from({ length: 5 }, (_, i) => memory(who, unit(1, i))));
      const seen: string[] = [];
      let offset: string | null = null;
      const sizes: number[] = [];
      for (let page = 0; page < 10; page++) {
        const result = await store.scroll(who, { limit: 2, offset });
        sizes.push(result.memories.length);
        seen.push(...result.memories.map((m) => m.id));
        offset = result.nextOffset;
        if (offset === null) break;
      }
      expect(sizes).toEqual([2, 2, 1]);
      expect(seen).toEqual([...ids].sort());
    });

    it("deleteById deletes the user's point and answers false for unknown or malformed ids", async () => {
      const who = user('del1');
      const [id, keep] = await store.upsert([memory(who, unit(1)), memory(who, unit(0, 1))]);
      expect(await store.deleteById(who, id!)).toBe(true);
      expect(await store.deleteById(who, id!)).toBe(false);
      expect(await store.deleteById(who, '00000000-0000-4000-8000-000000000000')).toBe(false);
      expect(await store.deleteById(who, 'not-an-id')).toBe(false);
      expect(await store.deleteById(who, '42')).toBe(false);
      expect((await store.scroll(who, { limit: 10 })).memories.map((m) => m.id)).toEqual([keep]);
      // Upper-case spelling of the same UUID names the same point.
      expect(await store.deleteById(who, keep!.toUpperCase())).toBe(true);
      expect(await store.count(who)).toBe(0);
    });

    it('deleteConversation and deleteUser report how many memories they removed', async () => {
      const who = user('del2');
      await store.upsert([
        memory(who, unit(1), { conversationId: 'gone' }),
        memory(who, unit(1), { conversationId: 'gone' }),
        memory(who, unit(1), { conversationId: 'kept' }),
      ]);
      expect(await store.deleteConversation(who, 'gone')).toBe(2);
      expect(await store.deleteConversation(who, 'gone')).toBe(0);
      expect(await store.count(who)).toBe(1);
      expect(await store.deleteUser(who)).toBe(1);
      expect(await store.deleteUser(who)).toBe(0);
      expect(await store.count(who)).toBe(0);
    });
  });

  describe('tenant isolation: store as A, read as B', () => {
    let alice: string;
    let bob: string;
    let bobIds: string[];

    beforeAll(async () => {
      alice = user('alice');
      bob = user('bob');
      // Same conversation id, same request id and identical vectors: only the user differs.
      await store.upsert([memory(alice, unit(1), { conversationId: 'shared', requestId: 'same-req', text: 'alice secret' })]);
      bobIds = await store.upsert([
        memory(bob, unit(1), { conversationId: 'shared', requestId: 'same-req', text: 'bob secret' }),
        memory(bob, unit(1, 1), { conversationId: 'bob-only', text: 'bob other' }),
      ]);
    });

    it('ids differ per user even for the same request (no cross-user overwrite)', async () => {
      const aliceIds = (await store.scroll(alice, { limit: 10 })).memories.map((m) => m.id);
      expect(aliceIds).toHaveLength(1);
      expect(bobIds).not.toContain(aliceIds[0]);
    });

    it("search, scroll and count never show the other user's memories", async () => {
      const hits = await store.search(alice, unit(1), { limit: 100 });
      expect(hits.map((h) => h.payload.text)).toEqual(['alice secret']);
      expect(await store.search(alice, unit(1), { limit: 100, conversationId: 'bob-only' })).toEqual([]);
      expect((await store.scroll(alice, { limit: 100 })).memories.map((m) => m.payload.user_id)).toEqual([alice]);
      expect(await store.count(alice)).toBe(1);
      expect(await store.count(alice, { conversationId: 'bob-only' })).toBe(0);
      expect(await store.count(bob)).toBe(2);
    });

    it("a cursor from another user's listing reveals nothing", async () => {
      const page = await store.scroll(alice, { limit: 100, offset: bobIds[0] ?? null });
      expect(page.memories.every((m) => m.payload.user_id === alice)).toBe(true);
    });

    it("deleteById with the other user's id deletes nothing", async () => {
      for (const id of bobIds) expect(await store.deleteById(alice, id)).toBe(false);
      expect(await store.count(bob)).toBe(2);
    });

    it("deleteConversation with a shared or the other user's conversation id deletes only the caller's", async () => {
      expect(await store.deleteConversation(alice, 'bob-only')).toBe(0);
      expect(await store.count(bob, { conversationId: 'bob-only' })).toBe(1);
      expect(await store.deleteConversation(alice, 'shared')).toBe(1);
      expect(await store.count(bob, { conversationId: 'shared' })).toBe(1);
      expect(await store.deleteUser(alice)).toBe(0);
      expect(await store.count(bob)).toBe(2);
    });
  });

  describe('end users within one account: store as one scope, read as another', () => {
    let account: string;
    const alice = (): MemoryScope => ({ userId: account, endUser: 'alice' });
    const bob = (): MemoryScope => ({ userId: account, endUser: 'bob' });
    const own = (): MemoryScope => ({ userId: account, endUser: undefined });
    let ids: { alice: string; bob: string; own: string; legacy: string };

    beforeAll(async () => {
      account = user('app');
      // Same account, conversation, request id and vector: only the end user differs.
      const same = { conversationId: 'shared', requestId: 'same-req' };
      const [a] = await store.upsert([memory(account, unit(1), { ...same, endUser: 'alice', text: 'alice: my doctor is Dr Okafor' })]);
      const [b] = await store.upsert([memory(account, unit(1), { ...same, endUser: 'bob', text: 'bob: my doctor is Dr Singh' })]);
      const [o] = await store.upsert([memory(account, unit(1), { ...same, text: 'the app itself' })]);
      // A point as a release before end users wrote it: `end_user: null` (the store leaves the field out).
      const legacy = '7d0f7a52-2a1e-4c55-9b43-93f0f0b6a001';
      const payload = {
        user_id: account,
        end_user: null,
        conversation_id: 'old',
        role: 'user',
        text: 'written before end users',
        created_at: 1,
        request_id: 'old-req',
        chunk: 0,
        content_hash: 'x',
      };
      expect(
        (
          await raw(connection, 'PUT', `/collections/${store.collection}/points?wait=true`, {
            points: [{ id: legacy, vector: unit(1), payload }],
          })
        ).status,
      ).toBe(200);
      ids = { alice: a ?? '', bob: b ?? '', own: o ?? '', legacy };
    });

    it('gives each end user its own point for the same request (no cross-end-user overwrite)', () => {
      expect(new Set(Object.values(ids)).size).toBe(4);
    });

    it('search, scroll and count show each scope only its own memories', async () => {
      const texts = async (scope: ScopeRef): Promise<string[]> =>
        (await store.search(scope, unit(1), { limit: 100 })).map((h) => h.payload.text).sort();
      expect(await texts(alice())).toEqual(['alice: my doctor is Dr Okafor']);
      expect(await texts(bob())).toEqual(['bob: my doctor is Dr Singh']);
      expect(await texts(own())).toEqual(['the app itself', 'written before end users']);
      expect(await texts(account)).toEqual(['the app itself', 'written before end users']);
      expect((await store.scroll(alice(), { limit: 100 })).memories.map((m) => [m.id, m.payload.end_user])).toEqual([[ids.alice, 'alice']]);
      expect((await store.scroll(own(), { limit: 100 })).memories.every((m) => m.payload.end_user === undefined)).toBe(true);
      expect(await store.count(bob(), { conversationId: 'shared' })).toBe(1);
      expect(await store.count(own())).toBe(2);
      expect(await store.count({ userId: account, endUser: 'carol' })).toBe(0);
      // End-user names are compared exactly: no prefix, case or trimming games.
      expect(await store.count({ userId: account, endUser: 'Alice' })).toBe(0);
      expect(await store.count({ userId: user('other-app'), endUser: 'alice' })).toBe(0);
    });

    it("deletes by id, conversation and scope only within the caller's scope", async () => {
      expect(await store.deleteById(bob(), ids.alice)).toBe(false);
      expect(await store.deleteById(own(), ids.alice)).toBe(false);
      expect(await store.deleteById(alice(), ids.own)).toBe(false);
      expect(await store.deleteConversation(bob(), 'old')).toBe(0);
      expect(await store.deleteConversation(alice(), 'shared')).toBe(1);
      expect(await store.count(bob())).toBe(1);
      expect(await store.count(own())).toBe(2);
      expect(await store.deleteScope(bob())).toBe(1);
      expect(await store.count(own())).toBe(2);
      await store.upsert([memory(account, unit(1), { endUser: 'carol' })]);
      expect(await store.deleteScope(own())).toBe(2);
      expect(await store.count({ userId: account, endUser: 'carol' })).toBe(1);
    });

    it('deleteUser erases the whole account, every end user included', async () => {
      await store.upsert([memory(account, unit(1), { endUser: 'alice' }), memory(account, unit(1))]);
      expect(await store.deleteUser(account)).toBe(3);
      for (const scope of [alice(), bob(), own(), { userId: account, endUser: 'carol' }]) expect(await store.count(scope)).toBe(0);
    });
  });

  describe('sparse vectors, IDF and the Query API (raw HTTP)', () => {
    let collection: string;
    const ln = Math.log;
    interface Point {
      id: unknown;
      score: number;
      payload?: unknown;
    }
    const query = async (body: unknown): Promise<Point[]> => {
      const reply = await raw(connection, 'POST', `/collections/${collection}/points/query`, body);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return (reply.body as { result: { points: Point[] } }).result.points;
    };
    const sparse = (pairs: Record<number, number>): { indices: number[]; values: number[] } => ({
      indices: Object.keys(pairs).map(Number),
      values: Object.values(pairs),
    });

    beforeAll(async () => {
      collection = `${base}_sparse`;
      created.push(collection);
      const put = await raw(connection, 'PUT', `/collections/${collection}`, {
        vectors: { size: 2, distance: 'Cosine' },
        sparse_vectors: { lexical: { modifier: 'idf' }, plain: {} },
      });
      expect(put.status).toBe(200);
      const points = [
        { id: 1, vector: { '': [1, 0], lexical: sparse({ 10: 1, 20: 2 }), plain: sparse({ 10: 1, 20: 2 }) }, payload: { user_id: 'u1' } },
        { id: 2, vector: { '': [0.8, 0.6], lexical: sparse({ 10: 1 }) }, payload: { user_id: 'u1' } },
        { id: 3, vector: { '': [0.6, 0.8], lexical: sparse({ 30: 1 }) }, payload: { user_id: 'u2' } },
        { id: 4, vector: [0, 1], payload: { user_id: 'u2' } },
        { id: 5, vector: { '': [-1, 0], lexical: sparse({}) }, payload: { user_id: 'u1' } },
      ];
      const upsert = await raw(connection, 'PUT', `/collections/${collection}/points?wait=true`, { points });
      expect(upsert.status, JSON.stringify(upsert.body)).toBe(200);
    });

    it("echoes the sparse vectors and their modifier in the collection's config", async () => {
      const info = await raw(connection, 'GET', `/collections/${collection}`);
      const params = (info.body as { result: { config: { params: { sparse_vectors: Record<string, { modifier?: string }> } } } }).result
        .config.params;
      expect(params.sparse_vectors.lexical?.modifier).toBe('idf');
      expect(params.sparse_vectors.plain?.modifier ?? 'none').toBe('none');
    });

    it("returns a point's vectors by name, and a dense-only point's as a plain list", async () => {
      const reply = await raw(connection, 'POST', `/collections/${collection}/points/scroll`, {
        filter: { must: [{ has_id: [1, 4] }] },
        with_vector: true,
        with_payload: false,
        limit: 10,
      });
      const points = (reply.body as { result: { points: { id: number; vector: unknown }[] } }).result.points;
      expect(points.find((p) => p.id === 1)?.vector).toEqual({
        '': [1, 0],
        lexical: { indices: [10, 20], values: [1, 2] },
        plain: { indices: [10, 20], values: [1, 2] },
      });
      expect(points.find((p) => p.id === 4)?.vector).toEqual([0, 1]);
    });

    it('refuses repeated sparse indices, a vector name the collection lacks and a sparse query on the dense vector', async () => {
      const repeated = await raw(connection, 'PUT', `/collections/${collection}/points?wait=true`, {
        points: [{ id: 9, vector: { '': [1, 0], lexical: { indices: [7, 7], values: [1, 2] } } }],
      });
      expect(repeated.status).toBe(422);
      expect((repeated.body as { status: { error: string } }).status.error).toContain('must be unique');
      const unknown = await raw(connection, 'PUT', `/collections/${collection}/points?wait=true`, {
        points: [{ id: 9, vector: { '': [1, 0], nope: sparse({ 1: 1 }) } }],
      });
      expect(unknown.status).toBe(400);
      expect((unknown.body as { status: { error: string } }).status.error).toBe('Wrong input: Not existing vector name error: nope');
      const mixed = await raw(connection, 'POST', `/collections/${collection}/points/query`, { query: sparse({ 10: 1 }) });
      expect(mixed.status).toBe(400);
      expect((mixed.body as { status: { error: string } }).status.error).toBe(
        'Wrong input: Conversion between sparse and regular vectors failed',
      );
    });

    it('scores a sparse query by shared indices, each weighted by IDF = ln(1 + (N - n + 0.5) / (n + 0.5)) with the idf modifier', async () => {
      // N = 3 points with a non-empty `lexical` vector (1, 2, 3); index 10 is in 2 of them, 20 in 1.
      const idf10 = ln(1 + (3 - 2 + 0.5) / (2 + 0.5));
      const idf20 = ln(1 + (3 - 1 + 0.5) / (1 + 0.5));
      const points = await query({ query: sparse({ 10: 1, 20: 1 }), using: 'lexical', limit: 10 });
      // Points sharing no index (3), without the vector (4) or with an empty one (5) do not match at all.
      expect(points.map((p) => p.id)).toEqual([1, 2]);
      expect(points[0]?.score).toBeCloseTo(idf10 + 2 * idf20, 5);
      expect(points[1]?.score).toBeCloseTo(idf10, 5);
      // The query's values multiply too.
      expect((await query({ query: sparse({ 10: 2 }), using: 'lexical', limit: 1 }))[0]?.score).toBeCloseTo(2 * idf10, 5);
    });

    it('scores without IDF when the sparse vector has no modifier, and filters sparse queries like dense ones', async () => {
      const plain = await query({ query: sparse({ 10: 1, 20: 1 }), using: 'plain', limit: 10 });
      expect(plain.map((p) => [p.id, p.score])).toEqual([[1, 3]]);
      const filtered = await query({
        query: sparse({ 10: 1, 30: 1 }),
        using: 'lexical',
        limit: 10,
        filter: { must: [{ key: 'user_id', match: { value: 'u2' } }] },
      });
      expect(filtered.map((p) => p.id)).toEqual([3]);
    });

    it('fuses prefetches by RRF: each list position p scores 1 / (p + 2), summed; {"rrf": {"k"}} sets the constant', async () => {
      // Dense [1, 0]: 1 (cos 1), 2 (0.8), 3 (0.6). Lexical {10}: 1 and 2 (equal by IDF: ties broken by id in both servers is not promised, so use {20, 10}).
      const prefetch = [
        { query: [1, 0], limit: 3 },
        { query: sparse({ 30: 1 }), using: 'lexical', limit: 3 },
      ];
      const fused = await query({ prefetch, query: { fusion: 'rrf' }, limit: 10 });
      // 1: dense #0 -> 1/2; 3: dense #2 + lexical #0 -> 1/4 + 1/2; 2: dense #1 -> 1/3.
      expect(fused.map((p) => p.id)).toEqual([3, 1, 2]);
      expect(fused.map((p) => p.score)).toEqual([0.75, 0.5, expect.closeTo(1 / 3, 6)]);
      const k60 = await query({ prefetch, query: { rrf: { k: 60 } }, limit: 10 });
      expect(k60.map((p) => p.id)).toEqual([3, 1, 2]);
      expect(k60[0]?.score).toBeCloseTo(1 / 62 + 1 / 60, 6);
      // Weighted (Qdrant 1.17+): position p of a list with weight w scores 1 / ((p + 1) / w + k - 1).
      const weighted = await query({ prefetch, query: { rrf: { weights: [1, 2] } }, limit: 10 });
      expect(weighted.map((p) => p.id)).toEqual([3, 1, 2]);
      expect(weighted[0]?.score).toBeCloseTo(1 / 4 + 1 / (1 / 2 + 1), 6);
      expect(weighted[1]?.score).toBeCloseTo(1 / 2, 6);
      // Root limit, offset and score_threshold apply to the fused list.
      expect((await query({ prefetch, query: { fusion: 'rrf' }, limit: 1, offset: 1 })).map((p) => p.id)).toEqual([1]);
      expect((await query({ prefetch, query: { fusion: 'rrf' }, limit: 10, score_threshold: 0.4 })).map((p) => p.id)).toEqual([3, 1]);
    });

    it('fuses prefetches by DBSF: each list mapped by mean +/- 3 sample standard deviations, a lone score as 0.5, summed', async () => {
      const prefetch = [
        { query: [1, 0], limit: 3 },
        { query: sparse({ 30: 1 }), using: 'lexical', limit: 3 },
      ];
      const dense = [1, 0.8, 0.6];
      const mean = 0.8;
      const sd = Math.sqrt(((1 - mean) ** 2 + (0.6 - mean) ** 2) / 2);
      const norm = (x: number): number => (x - (mean - 3 * sd)) / (6 * sd);
      const fused = await query({ prefetch, query: { fusion: 'dbsf' }, limit: 10 });
      expect(fused.map((p) => p.id)).toEqual([3, 1, 2]);
      expect(fused[0]?.score).toBeCloseTo(norm(dense[2] ?? 0) + 0.5, 5);
      expect(fused[1]?.score).toBeCloseTo(norm(dense[0] ?? 0), 5);
      expect(fused[2]?.score).toBeCloseTo(norm(dense[1] ?? 0), 5);
    });

    it('filters inside each prefetch; a root filter narrows the prefetches too', async () => {
      const u1 = { must: [{ key: 'user_id', match: { value: 'u1' } }] };
      // Each prefetch limited to one: without its filter the lexical one would take 3 (u2).
      const inPrefetches = await query({
        prefetch: [
          { query: [0.6, 0.8], limit: 1, filter: u1 },
          { query: sparse({ 30: 1, 10: 1 }), using: 'lexical', limit: 1, filter: u1 },
        ],
        query: { fusion: 'rrf' },
        limit: 10,
        with_payload: true,
      });
      expect(inPrefetches.length).toBeGreaterThan(0);
      expect(inPrefetches.every((p) => (p.payload as { user_id: string }).user_id === 'u1')).toBe(true);
      const atRoot = await query({
        prefetch: [
          { query: [0.6, 0.8], limit: 1 },
          { query: sparse({ 30: 1, 10: 1 }), using: 'lexical', limit: 1 },
        ],
        query: { fusion: 'rrf' },
        filter: u1,
        limit: 10,
        with_payload: true,
      });
      expect(atRoot.length).toBeGreaterThan(0);
      expect(atRoot.every((p) => (p.payload as { user_id: string }).user_id === 'u1')).toBe(true);
      // And what an unfiltered prefetch does: it reaches every tenant's points.
      const unfiltered = await query({
        prefetch: [
          { query: [0.6, 0.8], limit: 1 },
          { query: sparse({ 30: 1 }), using: 'lexical', limit: 1 },
        ],
        query: { fusion: 'rrf' },
        limit: 10,
        with_payload: true,
      });
      expect(unfiltered.map((p) => (p.payload as { user_id: string }).user_id)).toContain('u2');
    });

    it('refuses fusion without prefetches and fusion with `using`', async () => {
      const alone = await raw(connection, 'POST', `/collections/${collection}/points/query`, { query: { fusion: 'rrf' } });
      expect(alone.status).toBe(400);
      expect((alone.body as { status: { error: string } }).status.error).toBe(
        'Wrong input: Validation failed: cannot apply Fusion without prefetches',
      );
      const using = await raw(connection, 'POST', `/collections/${collection}/points/query`, {
        prefetch: [{ query: [1, 0] }],
        query: { fusion: 'rrf' },
        using: 'lexical',
      });
      expect(using.status).toBe(400);
    });
  });

  describe('hybrid recall through the store', () => {
    let who: string;
    beforeAll(async () => {
      who = user('hybrid');
      await store.upsert([
        memory(who, unit(-1), { text: 'Caroline adopted a greyhound called Biscuit last spring.' }),
        memory(who, unit(1), { text: 'Wow Caroline, that sounds lovely!' }),
        memory(who, unit(0.6, 0.8), { text: 'Caroline said the weather was lovely today.' }),
        memory(who, unit(0, 1), { text: '🎉🎉🎉' }),
      ]);
    });

    it("stores each memory's lexical vector beside its dense one (none for text without words)", async () => {
      const reply = await raw(connection, 'POST', `/collections/${store.collection}/points/scroll`, {
        filter: { must: [{ key: 'user_id', match: { value: who } }] },
        with_vector: true,
        with_payload: true,
        limit: 10,
      });
      const points = (reply.body as { result: { points: { vector: unknown; payload: { text: string } }[] } }).result.points;
      const greyhound = points.find((p) => p.payload.text.includes('greyhound'));
      expectSparse((greyhound?.vector as { lexical?: unknown }).lexical, documentLexicalVector(greyhound?.payload.text ?? ''));
      const emoji = points.find((p) => p.payload.text === '🎉🎉🎉');
      expect(Array.isArray(emoji?.vector) || (emoji?.vector as { lexical?: unknown }).lexical === undefined).toBe(true);
    });

    it('finds by a rare shared word what cosine ranks low, and fuses both rankings by RRF', async () => {
      const question = { vector: unit(1), text: "What is the name of Caroline's greyhound?" };
      const dense = await store.search(who, question.vector, { limit: 10, mode: 'dense' });
      expect(dense[0]?.payload.text).toBe('Wow Caroline, that sounds lovely!');
      const lexical = await store.search(who, question.vector, { limit: 10, mode: 'lexical', text: question.text });
      expect(lexical[0]?.payload.text).toContain('greyhound');
      expect(lexical).toHaveLength(3); // every memory naming Caroline, the greyhound one first (IDF: "greyhound" is rarer)
      const hybrid = await store.search(who, question.vector, { limit: 10, text: question.text });
      // Dense: Wow, weather, emoji, greyhound (last). Lexical: greyhound ("greyhound" is rarer than "Caroline"), Wow (shorter), weather.
      // RRF, 1 / (rank + 2) summed: Wow 1/2 + 1/3, greyhound 1/2 + 1/5, weather 1/3 + 1/4, emoji 1/4.
      expect(hybrid.map((h) => h.payload.text.split(' ')[0])).toEqual(['Wow', 'Caroline', 'Caroline', '🎉🎉🎉']);
      expect(hybrid[1]?.payload.text).toContain('greyhound');
      expect(hybrid.map((h) => h.score)).toEqual(
        [1 / 2 + 1 / 3, 1 / 2 + 1 / 5, 1 / 3 + 1 / 4, 1 / 4].map((x): unknown => expect.closeTo(x, 5)),
      );
      expect(hybrid.map((h) => h.payload.text)).toContain('🎉🎉🎉'); // the dense channel still reaches memories without words
    });

    it('applies the score threshold to the dense channel only, and falls back to dense for a question without words', async () => {
      const hybrid = await store.search(who, unit(1), { limit: 10, text: 'greyhound', scoreThreshold: 0.9 });
      expect(hybrid.map((h) => h.payload.text).sort()).toEqual([
        'Caroline adopted a greyhound called Biscuit last spring.',
        'Wow Caroline, that sounds lovely!',
      ]);
      const wordless = await store.search(who, unit(1), { limit: 2, text: 'who is it?' });
      expect(wordless.map((h) => h.score)).toEqual([expect.closeTo(1, 5), expect.closeTo(0.6, 5)]);
      expect(await store.search(who, unit(1), { limit: 2, text: '?!', mode: 'lexical' })).toEqual([]);
    });

    it("never returns another tenant's or end user's memory through the hybrid query, even with identical text and vectors", async () => {
      const account = user('hybrid-tenant');
      const secret = 'The vault code is zebra-quokka 4471';
      await store.upsert([
        memory(user('hybrid-other'), unit(1), { text: secret }),
        memory(account, unit(1), { text: secret, endUser: 'bob' }),
        memory(account, unit(0, 1), { text: 'Alice likes tea', endUser: 'alice' }),
      ]);
      for (const mode of ['hybrid', 'lexical', 'dense'] as const) {
        for (const fusion of ['rrf', 'dbsf'] as const) {
          const hits = await store.search({ userId: account, endUser: 'alice' }, unit(1), {
            limit: 100,
            text: `${secret} vault code zebra quokka`,
            mode,
            fusion,
          });
          expect(hits.map((h) => h.payload.text).filter((t) => t !== 'Alice likes tea')).toEqual([]);
        }
      }
      expect(
        (await store.search({ userId: account, endUser: 'bob' }, unit(1), { limit: 100, text: 'vault zebra' })).map((h) => h.payload.text),
      ).toEqual([secret]);
      expect(await store.search(account, unit(1), { limit: 100, text: 'vault zebra' })).toEqual([]);
    });

    it('uses the same query terms as the stored vectors (a plural in the question meets the singular in memory)', async () => {
      expect(queryLexicalVector('greyhounds').indices).toEqual(queryLexicalVector('greyhound').indices);
      const hits = await store.search(who, unit(-1), { limit: 1, mode: 'lexical', text: 'greyhounds' });
      expect(hits[0]?.payload.text).toContain('greyhound');
    });
  });

  describe('migration from the dense-only schema', () => {
    const legacyPoint = (
      i: number,
      userId: string,
      extra: Record<string, unknown> = {},
    ): { id: string; vector: number[]; payload: Record<string, unknown> } => ({
      id: `7d0f7a52-2a1e-4c55-9b43-${i.toString(16).padStart(12, '0')}`,
      vector: unit(1, i / 100),
      payload: {
        user_id: userId,
        conversation_id: 'old',
        role: 'user',
        text: `legacy memory ${i} about ${i % 2 === 0 ? 'sailing' : 'pottery'}`,
        created_at: 1_600_000_000_000 + i,
        request_id: `old-${i}`,
        chunk: 0,
        content_hash: `h${i}`,
        ...extra,
      },
    });

    async function legacyCollection(baseName: string, points: ReturnType<typeof legacyPoint>[]): Promise<string> {
      const name = `${baseName}__${EMBEDDER}__${DIMENSION}`;
      created.push(name);
      expect((await raw(connection, 'PUT', `/collections/${name}`, { vectors: { size: DIMENSION, distance: 'Cosine' } })).status).toBe(200);
      for (let i = 0; i < points.length; i += 200) {
        const put = await raw(connection, 'PUT', `/collections/${name}/points?wait=true`, { points: points.slice(i, i + 200) });
        expect(put.status, JSON.stringify(put.body)).toBe(200);
      }
      return name;
    }

    it('copies every memory (payload and dense vector unchanged, lexical vector computed from the text) in the background, then deletes the old collection', async () => {
      const migBase = `${base}_mig`;
      const [a, b] = [user('mig-a'), user('mig-b')];
      // More than one page (256), several scopes, and a point as written before end users existed (end_user: null).
      const points = [
        ...Array.from({ length: 300 }, (_, i) => legacyPoint(i, a)),
        ...Array.from({ length: 5 }, (_, i) => legacyPoint(1000 + i, b, { end_user: 'bob' })),
        legacyPoint(2000, b, { end_user: null }),
      ];
      const legacy = await legacyCollection(migBase, points);
      const migrations: { from: string; to: string; copied: number }[] = [];
      const migrating = new QdrantMemoryStore({
        url: connection.url,
        apiKey: connection.apiKey,
        baseCollection: migBase,
        embedder: { id: EMBEDDER, dimension: DIMENSION },
        timeoutMs: 10_000,
        onMigrated: (m) => migrations.push(m),
      });
      created.push(migrating.collection);
      await migrating.ensureCollection();
      await migrating.migrated();
      expect(migrations).toEqual([{ from: legacy, to: migrating.collection, copied: points.length }]);
      expect((await raw(connection, 'GET', `/collections/${legacy}/exists`)).body).toMatchObject({ result: { exists: false } });
      expect(await migrating.count(a)).toBe(300);
      expect(await migrating.count({ userId: b, endUser: 'bob' })).toBe(5);
      expect(await migrating.count(b)).toBe(1);
      const copied = await raw(connection, 'POST', `/collections/${migrating.collection}/points/scroll`, {
        filter: { must: [{ has_id: [points[7]?.id] }] },
        with_vector: true,
        with_payload: true,
        limit: 1,
      });
      const point = (copied.body as { result: { points: { id: string; vector: { '': number[]; lexical: unknown }; payload: unknown }[] } })
        .result.points[0];
      expect(point?.payload).toEqual(points[7]?.payload);
      expect(point?.vector[''].map((x) => Math.round(x * 1e4) / 1e4)).toEqual(
        unitLength(points[7]?.vector ?? []).map((x) => Math.round(x * 1e4) / 1e4),
      );
      expectSparse(point?.vector.lexical, documentLexicalVector((points[7]?.payload as { text: string }).text));
      // Migrated memories are found by their words.
      const hits = await migrating.search(a, unit(0, 0, 1), { limit: 3, text: 'legacy memory 7 about pottery', mode: 'lexical' });
      expect(hits[0]?.payload.text).toBe('legacy memory 7 about pottery');
      // A restart finds nothing left to migrate.
      await migrating.ensureCollection();
      await migrating.migrated();
      expect(migrations).toHaveLength(1);
    });

    it('a memory deleted while the migration runs stays deleted, whichever finishes first', async () => {
      const migBase = `${base}_migdel`;
      const who = user('mig-del');
      const points = Array.from({ length: 600 }, (_, i) => legacyPoint(i, who, { conversation_id: i < 300 ? 'drop' : 'keep' }));
      await legacyCollection(migBase, points);
      const migrating = new QdrantMemoryStore({
        url: connection.url,
        apiKey: connection.apiKey,
        baseCollection: migBase,
        embedder: { id: EMBEDDER, dimension: DIMENSION },
        timeoutMs: 10_000,
      });
      created.push(migrating.collection);
      await migrating.ensureCollection();
      // Right away, while pages are being copied: the last point and a whole conversation.
      expect(await migrating.deleteById(who, points[599]?.id ?? '')).toBe(true);
      expect(await migrating.deleteConversation(who, 'drop')).toBeGreaterThan(0);
      await migrating.migrated();
      expect(await migrating.count(who)).toBe(299);
      expect(await migrating.count(who, { conversationId: 'drop' })).toBe(0);
    });
  });

  describe('filter semantics (raw HTTP, the conditions the emulator implements)', () => {
    let collection: string;
    const uuidSimple = '0123456789abcdef0123456789abcdef';
    const uuid = '01234567-89ab-cdef-0123-456789abcdef';

    beforeAll(async () => {
      collection = `${base}_filters`;
      created.push(collection);
      expect((await raw(connection, 'PUT', `/collections/${collection}`, { vectors: { size: 2, distance: 'Cosine' } })).status).toBe(200);
      const points = [
        { id: 1, vector: [1, 0], payload: { user_id: 'u1', n: 1, tags: ['a', 'b'], maybe: null } },
        { id: 2, vector: [1, 0.1], payload: { user_id: 'u1', n: 5, tags: [] } },
        { id: 3, vector: [1, 0.2], payload: { user_id: 'u2', n: 10, tags: ['b'], maybe: 'x' } },
        { id: uuidSimple, vector: [0, 1], payload: { user_id: 'u3', n: 7 } },
      ];
      expect((await raw(connection, 'PUT', `/collections/${collection}/points?wait=true`, { points })).status).toBe(200);
    });

    const cases: [string, unknown, number][] = [
      ['no filter', undefined, 4],
      ['must match keyword', { must: [{ key: 'user_id', match: { value: 'u1' } }] }, 2],
      ['must as one condition (not a list)', { must: { key: 'user_id', match: { value: 'u2' } } }, 1],
      ['match integer', { must: [{ key: 'n', match: { value: 5 } }] }, 1],
      ['match any', { must: [{ key: 'user_id', match: { any: ['u2', 'u3'] } }] }, 2],
      ['match value against an array payload', { must: [{ key: 'tags', match: { value: 'b' } }] }, 2],
      ['must_not', { must_not: [{ key: 'user_id', match: { value: 'u1' } }] }, 2],
      [
        'should',
        {
          should: [
            { key: 'n', match: { value: 1 } },
            { key: 'n', match: { value: 10 } },
          ],
        },
        2,
      ],
      [
        'must AND must',
        {
          must: [
            { key: 'user_id', match: { value: 'u1' } },
            { key: 'n', match: { value: 5 } },
          ],
        },
        1,
      ],
      [
        'nested filter in must_not',
        {
          must_not: [
            {
              should: [
                { key: 'user_id', match: { value: 'u1' } },
                { key: 'user_id', match: { value: 'u3' } },
              ],
            },
          ],
        },
        1,
      ],
      ['has_id (integer and UUID)', { must: [{ has_id: [2, uuid, 99] }] }, 2],
      ['has_id ANDed with a tenant condition', { must: [{ key: 'user_id', match: { value: 'u1' } }, { has_id: [3] }] }, 0],
      ['range', { must: [{ key: 'n', range: { gte: 5, lt: 10 } }] }, 2],
      ['is_null', { must: [{ is_null: { key: 'maybe' } }] }, 1],
      ['is_empty', { must: [{ is_empty: { key: 'tags' } }] }, 2],
      [
        'min_should',
        {
          min_should: {
            conditions: [
              { key: 'user_id', match: { value: 'u1' } },
              { key: 'n', match: { value: 5 } },
            ],
            min_count: 2,
          },
        },
        1,
      ],
    ];

    it.each(cases)('count with %s', async (_name, filter, expected) => {
      const reply = await raw(connection, 'POST', `/collections/${collection}/points/count`, {
        exact: true,
        ...(filter === undefined ? {} : { filter }),
      });
      expect(reply.status).toBe(200);
      expect((reply.body as { result: { count: number } }).result.count).toBe(expected);
    });

    it('scroll orders integer ids before UUIDs, answers UUIDs hyphenated, and treats offset as inclusive', async () => {
      const first = await raw(connection, 'POST', `/collections/${collection}/points/scroll`, { limit: 2, with_payload: false });
      const page1 = (first.body as { result: { points: { id: unknown }[]; next_page_offset: unknown } }).result;
      expect(page1.points.map((p) => p.id)).toEqual([1, 2]);
      expect(page1.next_page_offset).toBe(3);
      const second = await raw(connection, 'POST', `/collections/${collection}/points/scroll`, { limit: 5, offset: 3 });
      const page2 = (second.body as { result: { points: { id: unknown; payload: unknown }[]; next_page_offset: unknown } }).result;
      expect(page2.points.map((p) => p.id)).toEqual([3, uuid]);
      expect(page2.points[0]?.payload).toMatchObject({ user_id: 'u2' });
      expect(page2.next_page_offset).toBeNull();
    });

    it('query returns ScoredPoints best first, filtered, with the payload only when asked', async () => {
      const reply = await raw(connection, 'POST', `/collections/${collection}/points/query`, {
        query: [1, 0],
        limit: 2,
        filter: { must_not: [{ has_id: [1] }] },
      });
      expect(reply.status).toBe(200);
      const points = (reply.body as { result: { points: { id: unknown; score: number; payload?: unknown; version: unknown }[] } }).result
        .points;
      expect(points.map((p) => p.id)).toEqual([2, 3]);
      expect(points[0]?.score).toBeGreaterThan(points[1]?.score ?? 1);
      expect(points[0]?.payload ?? null).toBeNull();
      expect(typeof points[0]?.version).toBe('number');
    });
  });
});
