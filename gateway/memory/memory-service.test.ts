// The write path of MemoryService: exchanges remembered after their responses are stored in
// batches, one embedding call and one upsert per user per batch, with every turn kept.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { makeMetrics } from '../observability/metrics.ts';
import { MemoryService } from './memory-service.ts';
import type { MemoryStore, NewMemory } from './store/memory-store.ts';

function recordingService(): { service: MemoryService; upserts: NewMemory[][]; embedCalls: { userId: string; texts: string[] }[] } {
  const upserts: NewMemory[][] = [];
  const embedCalls: { userId: string; texts: string[] }[] = [];
  const store = {
    upsert: (memories: readonly NewMemory[]) => {
      upserts.push([...memories]);
      return Promise.resolve(memories.map((_, i) => String(i)));
    },
  } as unknown as MemoryStore;
  const service = new MemoryService({
    store,
    embedderFor: (userId) =>
      Promise.resolve({
        id: 'fake',
        dimension: 2,
        embed: (texts: readonly string[]) => {
          embedCalls.push({ userId, texts: [...texts] });
          return Promise.resolve(texts.map(() => new Float32Array([1, 0])));
        },
      }),
    settings: { enabled: true, topK: 5, tokenBudget: 1000, retrievalTimeoutMs: 1000, minScore: 0 },
    metrics: makeMetrics(),
    log: pino({ level: 'silent' }),
  });
  return { service, upserts, embedCalls };
}

function exchange(userId: string, n: number) {
  return {
    userId,
    endUser: `end-${String(n)}`,
    conversationId: undefined,
    requestId: `${userId}-req-${String(n)}`,
    messages: [{ role: 'user' as const, content: `question ${String(n)} from ${userId}` }],
    responseText: `answer ${String(n)} for ${userId}`,
  };
}

describe('MemoryService remember', () => {
  it('stores a batch with one embedding call and one upsert per user, every turn under its own request and end user', async () => {
    const { service, upserts, embedCalls } = recordingService();
    for (let n = 0; n < 3; n++) service.remember(exchange('alice', n));
    for (let n = 0; n < 2; n++) service.remember(exchange('bob', n));
    expect(await service.flush()).toBe(true);
    await service.close(1000);
    expect(embedCalls.map((c) => c.userId)).toEqual(['alice', 'bob']);
    expect(upserts).toHaveLength(2);
    const stored = upserts.flat();
    // Each exchange: the question and the answer.
    expect(stored).toHaveLength(10);
    for (const memory of stored) {
      expect(memory.text).toContain(memory.userId);
      expect(memory.requestId.startsWith(`${memory.userId}-req-`)).toBe(true);
      expect(memory.endUser).toBe(`end-${memory.requestId.slice(-1)}`);
    }
    expect(stored.filter((m) => m.role === 'assistant').map((m) => m.text)).toEqual([
      'answer 0 for alice',
      'answer 1 for alice',
      'answer 2 for alice',
      'answer 0 for bob',
      'answer 1 for bob',
    ]);
  });
});

describe('MemoryService recall', () => {
  function searchingService(search: (signal: AbortSignal) => Promise<never>) {
    const metrics = makeMetrics();
    const store = {
      search: (_scope: unknown, _vector: unknown, options: { signal: AbortSignal }) => search(options.signal),
    } as unknown as MemoryStore;
    const service = new MemoryService({
      store,
      embedderFor: () => Promise.resolve({ id: 'fake', dimension: 2, embed: () => Promise.resolve([new Float32Array([1, 0])]) }),
      settings: { enabled: true, topK: 5, tokenBudget: 1000, retrievalTimeoutMs: 1000, minScore: 0 },
      metrics,
      log: pino({ level: 'silent' }),
    });
    return { service, metrics };
  }
  const request = (signal: AbortSignal) => ({
    userId: 'alice',
    endUser: undefined,
    conversationId: undefined,
    messages: [{ role: 'user' as const, content: 'what do I like?' }],
    enabled: undefined,
    topK: undefined,
    conversationOnly: false,
    signal,
  });
  const untilAborted = (signal: AbortSignal): Promise<never> =>
    new Promise((_resolve, reject) => {
      if (signal.aborted) reject(new Error('aborted'));
      signal.addEventListener('abort', () => {
        reject(new Error('aborted'));
      });
    });

  it('counts a failing store as an error, but a recall nobody waits for any more (client gone, request refused) as skipped, not a failure', async () => {
    const failing = searchingService(() => Promise.reject(new Error('connection refused')));
    expect((await failing.service.recall(request(new AbortController().signal))).result).toBe('error');
    expect(await failing.metrics.registry.metrics()).toMatch(/perpetual_retrievals_total\{result="error"\} 1/);

    const cancelled = searchingService(untilAborted);
    const caller = new AbortController();
    const recalling = cancelled.service.recall(request(caller.signal));
    caller.abort(new Error('refused'));
    const recall = await recalling;
    expect(recall.result).toBe('skipped');
    expect(recall.messages).toEqual(request(caller.signal).messages);
    expect(await cancelled.metrics.registry.metrics()).not.toMatch(/perpetual_retrievals_total\{result="error"\}/);
  });
});
