import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { badRequest } from '../../errors.ts';
import type { UsageRecord } from '../../usage/usage-record.ts';
import { createBuiltinEmbedder } from '../embedding/builtin-embedder.ts';
import type { MemoryHit, MemoryRecord, MemoryStore, NewMemory, Supersede } from '../store/memory-store.ts';
import { memoryPointId } from '../store/point-id.ts';
import { EXTRACTION_ENDPOINT, FactExtractor, sourceTurnIds, type CompleteFn, type PendingExchange } from './fact-extractor.ts';
import { makeFactMetrics } from './fact-metrics.ts';

const embedder = createBuiltinEmbedder();
const AT = Date.UTC(2026, 5, 1);

/** The store calls the extractor makes, recorded; the known facts it is shown are given. */
function fakeStore(known: MemoryHit[] = []) {
  const upserts: NewMemory[][] = [];
  const supersedes: Supersede[] = [];
  const store = {
    search: () => Promise.resolve(known),
    upsert: (memories: readonly NewMemory[]) => {
      upserts.push([...memories]);
      return Promise.resolve(memories.map((_, i) => `00000000-0000-5000-8000-00000000000${String(i + 1)}`));
    },
    activeFacts: () => Promise.resolve([] as MemoryRecord[]),
    supersede: (_scope: unknown, marking: Supersede) => {
      supersedes.push(marking);
      return Promise.resolve([...marking.ids]);
    },
  };
  return { store: store as unknown as MemoryStore, upserts, supersedes };
}

function exchange(user: string): PendingExchange {
  return {
    userId: 'acct',
    endUser: 'alice',
    conversationId: 'c-1',
    requestId: 'req-1',
    at: AT,
    messages: [{ role: 'user', content: user }],
    responseText: 'Noted.',
  };
}

function answer(text: string): CompleteFn {
  return () =>
    Promise.resolve({
      text,
      model: 'gpt-4o-mini',
      provider: 'openai',
      inputTokens: 120,
      cachedInputTokens: 0,
      outputTokens: 30,
      costUsd: 0.0001,
      usageEstimated: false,
    });
}

function extractor(complete: CompleteFn, store: MemoryStore, timeoutMs = 1000) {
  const registry = new Registry();
  const metrics = makeFactMetrics(registry);
  const usage: UsageRecord[] = [];
  const run = new FactExtractor({
    store,
    embedderFor: () => Promise.resolve(embedder),
    complete,
    recordUsage: (row) => usage.push(row),
    metrics,
    log: pino({ level: 'silent' }),
    timeoutMs,
  });
  const failures = async (reason: string): Promise<number> =>
    (await metrics.failures.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  return { run, metrics, usage, failures };
}

describe('FactExtractor', () => {
  it('stores parsed facts in the scope with their source turns, and logs the call as usage', async () => {
    const { store, upserts } = fakeStore();
    const reply = JSON.stringify({
      facts: [{ text: 'The user lives in Porto.', speaker: 'user', subject: 'user.home_city', exchange: 'E1' }],
    });
    const { run, usage, metrics } = extractor(answer(reply), store);
    await run.run([exchange('I live in Porto.')]);
    expect(upserts).toHaveLength(1);
    const [fact] = upserts[0] ?? [];
    expect(fact).toMatchObject({
      userId: 'acct',
      endUser: 'alice',
      conversationId: 'c-1',
      role: 'user',
      text: 'The user lives in Porto.',
      createdAt: AT,
    });
    expect(fact?.fact?.subject).toBe('user.home_city');
    expect(fact?.fact?.sourceIds).toEqual([
      memoryPointId({ userId: 'acct', endUser: 'alice', requestId: 'req-1', role: 'user', chunk: 0 }),
      memoryPointId({ userId: 'acct', endUser: 'alice', requestId: 'req-1', role: 'assistant', chunk: 0 }),
    ]);
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({
      userId: 'acct',
      endpoint: EXTRACTION_ENDPOINT,
      inputTokens: 120,
      outputTokens: 30,
      totalTokens: 150,
      statusCode: 200,
    });
    expect((await metrics.facts.get()).values[0]?.value).toBe(1);
  });

  it('supersedes a shown fact the extractor names, by the new fact', async () => {
    const old: MemoryHit = {
      id: '11111111-1111-5111-8111-111111111111',
      score: 1,
      payload: {
        user_id: 'acct',
        end_user: 'alice',
        conversation_id: 'c-0',
        role: 'user',
        text: 'The user lives in Lisbon.',
        created_at: AT - 1000,
        request_id: 'req-0',
        chunk: 0,
        content_hash: 'x',
        kind: 'fact',
        source_ids: [],
      },
    };
    const { store, supersedes } = fakeStore([old]);
    const reply = JSON.stringify({ facts: [{ text: 'The user lives in Porto.', exchange: 'E1', supersedes: ['K1'] }] });
    await extractor(answer(reply), store).run.run([exchange('We moved to Porto.')]);
    expect(supersedes).toEqual([{ ids: [old.id], by: '00000000-0000-5000-8000-000000000001', at: expect.any(Number) as number }]);
  });

  it('counts garbage, a timeout, an upstream error and a missing key, never throwing and storing nothing', async () => {
    const { store, upserts } = fakeStore();
    const slow: CompleteFn = (_user, _messages, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          reject(new Error('aborted'));
        });
      });
    const cases: [string, CompleteFn][] = [
      ['garbage', answer('I am sorry, I cannot do that.')],
      ['timeout', slow],
      ['upstream', () => Promise.reject(new Error('502 from upstream'))],
      ['no_key', () => Promise.reject(badRequest('no key', 'provider_key_missing'))],
    ];
    for (const [reason, complete] of cases) {
      const { run, failures, usage } = extractor(complete, store, 50);
      await run.run([exchange('My cat is called Tom.')]);
      expect(await failures(reason)).toBe(1);
      // A garbage answer still cost tokens: logged. The others never answered.
      expect(usage).toHaveLength(reason === 'garbage' ? 1 : 0);
    }
    expect(upserts).toEqual([]);
  });

  it('derives the source turn ids exactly as the write path does', () => {
    const ids = sourceTurnIds({ ...exchange('hello'), endUser: undefined });
    expect(ids).toEqual([
      memoryPointId({ userId: 'acct', requestId: 'req-1', role: 'user', chunk: 0 }),
      memoryPointId({ userId: 'acct', requestId: 'req-1', role: 'assistant', chunk: 0 }),
    ]);
  });
});
