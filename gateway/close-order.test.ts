import { describe, expect, it } from 'vitest';
import { closeBuffers, MEMORY_SHARE, type Closable } from './close-order.ts';

/** A usage log as the accounting's: rows recorded after close() are refused. */
function fakeAccounting(): Closable & { rows: string[]; refused: string[]; record(row: string): void; closedWith?: number } {
  let closed = false;
  const log = {
    rows: [] as string[],
    refused: [] as string[],
    closedWith: undefined as number | undefined,
    record(row: string) {
      (closed ? log.refused : log.rows).push(row);
    },
    close(timeoutMs: number) {
      log.closedWith = timeoutMs;
      closed = true;
      return Promise.resolve();
    },
  };
  return log;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('closeBuffers', () => {
  it('lets an extractor call finishing during the memory drain record its usage row before the usage log closes', async () => {
    const accounting = fakeAccounting();
    let memoryBudget: number | undefined;
    const memory: Closable = {
      async close(timeoutMs) {
        memoryBudget = timeoutMs;
        await sleep(30); // the in-flight extractor call answers
        accounting.record('memory.extract');
      },
    };
    await closeBuffers({ memory, accounting, independent: [] }, 10_000);
    expect(accounting.rows).toEqual(['memory.extract']);
    expect(accounting.refused).toEqual([]);
    expect(memoryBudget).toBe(10_000 * MEMORY_SHARE);
    // The accounting has what memory left of the budget.
    expect(accounting.closedWith).toBeGreaterThan(10_000 * (1 - MEMORY_SHARE));
    expect(accounting.closedWith).toBeLessThanOrEqual(10_000);
  });

  it('closes the usage log even when memory overruns its share, within the whole budget', async () => {
    const accounting = fakeAccounting();
    let clock = 0;
    const memory: Closable = {
      async close() {
        clock += 900; // time passes on the injected clock while memory does not finish
        await new Promise(() => undefined);
      },
    };
    const started = performance.now();
    await closeBuffers({ memory, accounting, independent: [] }, 1000, () => clock);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(accounting.closedWith).toBe(100);
  });

  it('closes independent buffers from the start and the accounting without memory', async () => {
    const accounting = fakeAccounting();
    const order: string[] = [];
    const memory: Closable = {
      async close() {
        await sleep(20);
        order.push('memory');
      },
    };
    await closeBuffers(
      {
        memory,
        accounting,
        independent: [
          () => {
            order.push('last-used');
            return Promise.resolve();
          },
        ],
      },
      5000,
    );
    expect(order).toEqual(['last-used', 'memory']);
    const alone = fakeAccounting();
    await closeBuffers({ accounting: alone, independent: [] }, 2000);
    expect(alone.closedWith).toBeGreaterThan(1900);
  });

  it('does not let a memory close that throws keep the usage log open', async () => {
    const accounting = fakeAccounting();
    await closeBuffers({ memory: { close: () => Promise.reject(new Error('qdrant gone')) }, accounting, independent: [] }, 1000);
    expect(accounting.closedWith).toBeDefined();
  });
});
