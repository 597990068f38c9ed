import { describe, expect, it } from 'vitest';
import { FactQueue } from './fact-queue.ts';

function queue(
  options: { batchSize?: number; flushIntervalMs?: number; capacity?: number; process?: (batch: readonly string[]) => Promise<void> } = {},
) {
  const batches: string[][] = [];
  const errors: unknown[] = [];
  const q = new FactQueue<string>({
    batchSize: options.batchSize ?? 3,
    flushIntervalMs: options.flushIntervalMs ?? 60_000,
    capacity: options.capacity ?? 100,
    concurrency: 1,
    process:
      options.process ??
      ((batch) => {
        batches.push([...batch]);
        return Promise.resolve();
      }),
    onError: (err) => {
      errors.push(err);
    },
  });
  return { q, batches, errors };
}

describe('FactQueue', () => {
  it('batches per key: a full group goes at once, never mixed with another key', async () => {
    const { q, batches } = queue();
    for (const item of ['a1', 'b1', 'a2', 'a3', 'b2']) q.add(item[0] ?? '', item);
    expect(await q.flush(1000)).toBe(true);
    expect(batches).toEqual([
      ['a1', 'a2', 'a3'],
      ['b1', 'b2'],
    ]);
  });

  it('sends a partial group after the flush interval', async () => {
    const { q, batches } = queue({ flushIntervalMs: 20 });
    q.add('k', 'x');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(batches).toEqual([['x']]);
  });

  it('drops past capacity and counts it, and refuses after close', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { q } = queue({ batchSize: 1, capacity: 2, process: () => gate });
    expect([q.add('k', '1'), q.add('k', '2'), q.add('k', '3')]).toEqual([true, true, false]);
    expect(q.stats()).toEqual({ pending: 2, dropped: 1 });
    release();
    expect(await q.close(1000)).toBe(0);
    expect(q.add('k', '4')).toBe(false);
    expect(q.stats()).toEqual({ pending: 0, dropped: 2 });
  });

  it('a failing batch is reported and the queue goes on', async () => {
    let calls = 0;
    const { q, errors } = queue({
      batchSize: 1,
      process: () => (++calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve()),
    });
    q.add('k', '1');
    q.add('k', '2');
    expect(await q.flush(1000)).toBe(true);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });
});
