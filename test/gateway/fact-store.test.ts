// Facts in the memory store (memory/facts/), against the real Qdrant server when its binary is
// beside the repository, else the emulator: stored beside turns with the scope's tenant fields,
// found by subject only within the scope, superseded only within the scope (kept and listed,
// never recalled), idempotent per extraction batch, and deleted with any turn they were drawn from.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { createBuiltinEmbedder } from '../../gateway/memory/embedding/builtin-embedder.ts';
import type { MemoryScope, NewMemory } from '../../gateway/memory/store/memory-store.ts';
import { QdrantMemoryStore } from '../../gateway/memory/store/qdrant-memory-store.ts';
import { startQdrantEmulator, type QdrantEmulator } from '../stubs/qdrant-emulator.ts';

const embedder = createBuiltinEmbedder();
let store: QdrantMemoryStore;
let emulator: QdrantEmulator | undefined;

const ALICE: MemoryScope = { userId: 'acct-a', endUser: 'alice' };
const BOB: MemoryScope = { userId: 'acct-a', endUser: 'bob' };
const OTHER: MemoryScope = { userId: 'acct-b', endUser: 'alice' };

async function fact(
  scope: MemoryScope,
  text: string,
  extra: { subject?: string; batchId?: string; index?: number; sourceIds?: string[] } = {},
): Promise<NewMemory> {
  const [vector] = await embedder.embed([text], {});
  return {
    ...scope,
    conversationId: 'c-1',
    role: 'user',
    text,
    createdAt: Date.UTC(2026, 2, 1),
    requestId: 'req-1',
    chunk: 0,
    vector: vector ?? new Float32Array(embedder.dimension),
    fact: {
      batchId: extra.batchId ?? `b-${text}`,
      index: extra.index ?? 0,
      subject: extra.subject,
      sourceIds: extra.sourceIds ?? ['00000000-0000-5000-8000-000000000001'],
    },
  };
}

async function recall(scope: MemoryScope, question: string): Promise<string[]> {
  const [vector] = await embedder.embed([question], {});
  const hits = await store.search(scope, vector ?? [], { limit: 20, text: question });
  return hits.map((h) => h.payload.text);
}

beforeAll(async () => {
  const real = inject('qdrantServer');
  emulator = real ? undefined : await startQdrantEmulator({});
  console.log(`[fact-store] Qdrant: ${real ? 'the real server' : 'the in-repo emulator'}`);
  store = new QdrantMemoryStore({
    url: real?.url ?? emulator?.url ?? '',
    ...(real ? { apiKey: real.apiKey } : {}),
    baseCollection: `factstore${String(Date.now())}`,
    embedder: { id: embedder.id, dimension: embedder.dimension },
  });
  await store.ensureCollection();
});

afterAll(async () => {
  await emulator?.close();
});

describe('facts in the store', () => {
  let aliceCity: string;
  let bobCity: string;
  let otherCity: string;

  beforeAll(async () => {
    [aliceCity, bobCity, otherCity] = [
      ...(await store.upsert([await fact(ALICE, 'The user lives in Lisbon.', { subject: 'user.home_city' })])),
      ...(await store.upsert([await fact(BOB, 'The user lives in Oslo.', { subject: 'user.home_city' })])),
      ...(await store.upsert([await fact(OTHER, 'The user lives in Rome.', { subject: 'user.home_city' })])),
    ] as [string, string, string];
  });

  it('stores a fact with its kind, subject and source turns, under a batch-derived id of its own', async () => {
    const page = await store.scroll(ALICE, { limit: 10 });
    expect(page.memories).toHaveLength(1);
    expect(page.memories[0]?.id).toBe(aliceCity);
    expect(page.memories[0]?.payload).toMatchObject({
      kind: 'fact',
      subject: 'user.home_city',
      user_id: 'acct-a',
      end_user: 'alice',
      source_ids: ['00000000-0000-5000-8000-000000000001'],
    });
    // The same batch and index again: the same point, not a second one.
    expect(await store.upsert([await fact(ALICE, 'The user lives in Lisbon.', { subject: 'user.home_city' })])).toEqual([aliceCity]);
    expect(await store.count(ALICE)).toBe(1);
  });

  it('finds active facts by subject within the scope only', async () => {
    const found = await store.activeFacts(ALICE, { subjects: ['user.home_city', 'user.car'], limit: 100 });
    expect(found.map((f) => f.id)).toEqual([aliceCity]);
    expect(await store.activeFacts(ALICE, { subjects: ['user.car'], limit: 100 })).toEqual([]);
    expect(await store.activeFacts(ALICE, { subjects: [], limit: 100 })).toEqual([]);
  });

  it("cannot supersede another end user's or another account's fact", async () => {
    expect(await store.supersede(ALICE, { ids: [bobCity, otherCity], by: aliceCity, at: 1 })).toEqual([]);
    expect(await recall(BOB, 'Which city do I live in?')).toContain('The user lives in Oslo.');
    expect(await recall(OTHER, 'Which city do I live in?')).toContain('The user lives in Rome.');
  });

  it('supersedes within the scope: kept and listed, no longer recalled nor found by subject', async () => {
    const [porto] = await store.upsert([await fact(ALICE, 'The user lives in Porto.', { subject: 'user.home_city' })]);
    expect(await store.supersede(ALICE, { ids: [aliceCity, porto ?? ''], by: porto ?? '', at: 42 })).toEqual([aliceCity]);
    expect(await recall(ALICE, 'Which city do I live in?')).toEqual(['The user lives in Porto.']);
    expect((await store.activeFacts(ALICE, { subjects: ['user.home_city'], limit: 100 })).map((f) => f.id)).toEqual([porto]);
    const listed = (await store.scroll(ALICE, { limit: 10 })).memories.find((m) => m.id === aliceCity);
    expect(listed?.payload).toMatchObject({ superseded_by: porto, superseded_at: 42, text: 'The user lives in Lisbon.' });
    // Marked once: superseding it again changes nothing.
    expect(await store.supersede(ALICE, { ids: [aliceCity], by: porto ?? '', at: 43 })).toEqual([]);
    // Not by its words either: the mark filters every channel of the hybrid search.
    expect(await recall(ALICE, 'Lisbon')).not.toContain('The user lives in Lisbon.');
  });
});

describe('deleting a turn', () => {
  // Scopes of their own, so the counts above are not disturbed.
  const CAROL: MemoryScope = { userId: 'acct-d', endUser: 'carol' };
  const DAVE: MemoryScope = { userId: 'acct-d', endUser: 'dave' };
  const OWN: MemoryScope = { userId: 'acct-d', endUser: undefined };
  const ELSEWHERE: MemoryScope = { userId: 'acct-e', endUser: 'carol' };
  const UNRELATED_TURN = '00000000-0000-5000-8000-00000000000a';

  async function turn(scope: MemoryScope, text: string, requestId: string): Promise<string> {
    const [vector] = await embedder.embed([text], {});
    const [id] = await store.upsert([
      {
        ...scope,
        conversationId: 'c-1',
        role: 'user',
        text,
        createdAt: Date.UTC(2026, 2, 1),
        requestId,
        chunk: 0,
        vector: vector ?? new Float32Array(embedder.dimension),
      },
    ]);
    return id ?? '';
  }

  const texts = async (scope: MemoryScope): Promise<string[]> =>
    (await store.scroll(scope, { limit: 100 })).memories.map((m) => m.payload.text).sort();

  it("deletes the scope's facts whose sources include it, and no other scope's facts naming the same id", async () => {
    const said = await turn(CAROL, 'I moved to Lisbon and I drive a Fiat.', 'req-carol-1');
    const kept = await turn(CAROL, 'I have a cat.', 'req-carol-2');
    await store.upsert([
      await fact(CAROL, 'The user lives in Lisbon.', { subject: 'user.home_city', sourceIds: [said] }),
      // Drawn from two turns: erasing either erases it.
      await fact(CAROL, 'The user drives a Fiat and has a cat.', { sourceIds: [kept, said] }),
      await fact(CAROL, 'The user has a cat.', { subject: 'user.pet', sourceIds: [kept] }),
      await fact(CAROL, 'The user likes jazz.', { sourceIds: [UNRELATED_TURN] }),
      // The very same source id in every other scope: another end user, the account's own, another account.
      await fact(DAVE, 'Dave lives in Lisbon.', { sourceIds: [said] }),
      await fact(OWN, 'The account lives in Lisbon.', { sourceIds: [said] }),
      await fact(ELSEWHERE, 'Another Carol lives in Lisbon.', { sourceIds: [said] }),
    ]);
    expect(await store.count(CAROL)).toBe(6);

    expect(await store.deleteById(CAROL, said)).toBe(true);

    expect(await texts(CAROL)).toEqual(['I have a cat.', 'The user has a cat.', 'The user likes jazz.']);
    expect(await recall(CAROL, 'Where do I live?')).not.toContain('The user lives in Lisbon.');
    expect(await texts(DAVE)).toEqual(['Dave lives in Lisbon.']);
    expect(await texts(OWN)).toEqual(['The account lives in Lisbon.']);
    expect(await texts(ELSEWHERE)).toEqual(['Another Carol lives in Lisbon.']);
    // Another scope deleting the id (not its turn): false, and nothing of Carol's or its own goes.
    expect(await store.deleteById(DAVE, kept)).toBe(false);
    expect(await texts(DAVE)).toEqual(['Dave lives in Lisbon.']);
    expect(await store.count(CAROL)).toBe(3);
  });
});
