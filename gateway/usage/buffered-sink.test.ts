import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { BufferedSink, SinkWriteError, type BufferedSinkOptions } from './buffered-sink.ts';
import type { Clock } from './clock.ts';

/** Time that moves only when the test says so; runs due timers in order, letting promises settle. */
class ManualClock implements Clock {
  current = 0;
  private timers: { at: number; order: number; callback: () => void; cancelled: boolean }[] = [];
  private order = 0;

  now(): number {
    return this.current;
  }

  schedule(ms: number, callback: () => void): () => void {
    const timer = { at: this.current + ms, order: this.order++, callback, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => !t.cancelled && t.at <= target).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = due.at;
      due.callback();
    }
    this.current = target;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A fake destination: records every batch, can be down, and checks writes never overlap in time. */
class FakeStore {
  readonly batches: number[][] = [];
  readonly attempts: { at: number; size: number }[] = [];
  stored: number[] = [];
  down = false;
  failure: (batch: readonly number[]) => Error | undefined = () => undefined;
  inFlight = 0;
  maxInFlight = 0;
  hold: Promise<void> | undefined;
  private readonly clock: ManualClock;

  constructor(clock: ManualClock) {
    this.clock = clock;
  }

  readonly write = async (batch: readonly number[]): Promise<void> => {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.attempts.push({ at: this.clock.now(), size: batch.length });
    try {
      if (this.hold) await this.hold;
      if (this.down) throw new Error('connection refused');
      const error = this.failure(batch);
      if (error) throw error;
      this.batches.push([...batch]);
      this.stored.push(...batch);
    } finally {
      this.inFlight--;
    }
  };
}

function captureLogger() {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        lines.push(line);
      },
    },
  );
  return { logger, lines };
}

function setup(overrides: Partial<BufferedSinkOptions<number>> = {}) {
  const clock = new ManualClock();
  const store = new FakeStore(clock);
  const { logger, lines } = captureLogger();
  const sink = new BufferedSink<number>({
    name: 'test',
    write: store.write,
    logger,
    clock,
    random: () => 1,
    maxBatchSize: 10,
    flushIntervalMs: 1000,
    initialBackoffMs: 100,
    maxBackoffMs: 800,
    ...overrides,
  });
  return { clock, store, sink, lines };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('BufferedSink', () => {
  it('writes a full batch at once and the rest on the interval', async () => {
    const { clock, store, sink } = setup();
    for (const n of range(0, 25)) sink.add(n);
    await clock.advance(0);
    expect(store.batches).toEqual([range(0, 10), range(10, 20)]);
    expect(sink.stats().pending).toBe(5);
    await clock.advance(999);
    expect(store.batches).toHaveLength(2);
    await clock.advance(1);
    expect(store.batches[2]).toEqual(range(20, 25));
    expect(sink.stats()).toMatchObject({ pending: 0, written: 25, failedAttempts: 0, dropped: 0 });
    await sink.close({ timeoutMs: 1000 });
  });

  it('writes a partial batch only when the interval comes', async () => {
    const { clock, store, sink } = setup();
    sink.add(1);
    sink.add(2);
    await clock.advance(500);
    sink.add(3);
    expect(store.attempts).toHaveLength(0);
    await clock.advance(500);
    expect(store.batches).toEqual([[1, 2, 3]]);
    await sink.close({ timeoutMs: 1000 });
  });

  it('never runs two writes at once, and no item is in two batches', async () => {
    const { clock, store, sink } = setup();
    let release: () => void = () => undefined;
    store.hold = new Promise((resolve) => {
      release = resolve;
    });
    for (const n of range(0, 35)) sink.add(n);
    await clock.advance(5000);
    expect(store.inFlight).toBe(1);
    expect(store.attempts).toHaveLength(1);
    store.hold = undefined;
    release();
    await clock.advance(1000);
    expect(store.maxInFlight).toBe(1);
    expect(store.stored).toEqual(range(0, 35));
    expect(store.batches.flat()).toHaveLength(35);
    await sink.close({ timeoutMs: 1000 });
  });

  it('keeps failed items at the head and retries with capped exponential backoff, in order, losing nothing', async () => {
    const { clock, store, sink, lines } = setup();
    store.down = true;
    for (const n of range(0, 5)) sink.add(n);
    await clock.advance(1000); // the interval starts the first attempt at t=1000
    for (const n of range(5, 40)) {
      sink.add(n);
      await clock.advance(100);
    }
    await clock.advance(5000);
    const gaps = store.attempts.slice(1, 7).map((a, i) => a.at - (store.attempts[i]?.at ?? 0));
    expect(gaps).toEqual([100, 200, 400, 800, 800, 800]);
    expect(sink.stats().pending).toBe(40);
    expect(sink.stats().consecutiveFailures).toBe(store.attempts.length);
    // One warning for the outage, not one per attempt.
    expect(lines.filter((l) => l.includes('"level":40') && l.includes('will retry'))).toHaveLength(1);

    store.down = false;
    await clock.advance(800);
    await clock.advance(1000);
    expect(store.stored).toEqual(range(0, 40));
    expect(store.batches.every((b) => b.length <= 10)).toBe(true);
    expect(sink.stats()).toMatchObject({ pending: 0, written: 40, dropped: 0, rejected: 0, consecutiveFailures: 0 });
    expect(sink.stats().failedAttempts).toBeGreaterThan(5);
    expect(lines.some((l) => l.includes('writing again'))).toBe(true);
    await sink.close({ timeoutMs: 1000 });
  });

  it("waits as long as the server's Retry-After asks, within its ceiling", async () => {
    const { clock, store, sink } = setup({ maxRetryAfterMs: 10_000 });
    let failures = 2;
    store.failure = () => (failures-- > 0 ? new SinkWriteError('429', { retryAfterMs: failures === 1 ? 5000 : 60_000 }) : undefined);
    sink.add(1);
    await clock.advance(1000);
    await clock.advance(4999);
    expect(store.attempts).toHaveLength(1);
    await clock.advance(1);
    expect(store.attempts).toHaveLength(2);
    await clock.advance(10_000);
    expect(store.attempts.map((a) => a.at)).toEqual([1000, 6000, 16_000]);
    expect(store.stored).toEqual([1]);
    await sink.close({ timeoutMs: 1000 });
  });

  it('isolates a poisoned item so it costs only itself', async () => {
    const { clock, store, sink } = setup();
    store.failure = (batch) => (batch.includes(13) ? new SinkWriteError('bad row', { retryable: false, itemSpecific: true }) : undefined);
    for (const n of range(0, 25)) sink.add(n);
    await clock.advance(1000);
    expect(store.stored).toEqual(range(0, 25).filter((n) => n !== 13));
    expect(sink.stats()).toMatchObject({ pending: 0, written: 24, rejected: 1 });
    // After the bad batch, writing goes back to full batches.
    expect(store.batches.at(-1)).toEqual(range(20, 25));
    await sink.close({ timeoutMs: 1000 });
  });

  it('drops a batch the destination refuses for good, and carries on', async () => {
    const { clock, store, sink } = setup();
    let refuse = true;
    store.failure = () => (refuse ? new SinkWriteError('401', { retryable: false }) : undefined);
    for (const n of range(0, 10)) sink.add(n);
    await clock.advance(0);
    refuse = false;
    sink.add(10);
    await clock.advance(1000);
    expect(store.stored).toEqual([10]);
    expect(sink.stats()).toMatchObject({ rejected: 10, written: 1, failedAttempts: 1 });
    await sink.close({ timeoutMs: 1000 });
  });

  it('refuses items past its capacity, counts them and logs once', async () => {
    const { clock, store, sink, lines } = setup({ capacity: 20 });
    store.down = true;
    for (const n of range(0, 26)) sink.add(n);
    await clock.advance(0);
    expect(sink.stats()).toMatchObject({ pending: 20, dropped: 6 });
    expect(lines.filter((l) => l.includes('buffer full'))).toHaveLength(1);
    store.down = false;
    await clock.advance(2000);
    expect(store.stored).toEqual(range(0, 20));
    sink.add(99);
    expect(sink.stats().dropped).toBe(6);
    await sink.close({ timeoutMs: 1000 });
  });

  it('flush() writes at once and reports whether it finished in time', async () => {
    const { clock, store, sink } = setup();
    sink.add(1);
    const flushed = sink.flush();
    await clock.advance(0);
    expect(await flushed).toBe(true);
    expect(store.stored).toEqual([1]);

    store.down = true;
    sink.add(2);
    const late = sink.flush({ timeoutMs: 300 });
    await clock.advance(300);
    expect(await late).toBe(false);
    store.down = false;
    await sink.close({ timeoutMs: 1000 });
  });

  it('close() drains everything, including items added while it drains, then refuses', async () => {
    const { clock, store, sink } = setup();
    let release: () => void = () => undefined;
    store.hold = new Promise((resolve) => {
      release = resolve;
    });
    for (const n of range(0, 20)) sink.add(n);
    await clock.advance(0); // the first batch is in flight, held
    const closing = sink.close({ timeoutMs: 5000 });
    sink.add(20); // a request that finished during the drain
    store.hold = undefined;
    release();
    await clock.advance(0);
    const result = await closing;
    expect(result.unwritten).toEqual([]);
    expect(store.stored).toEqual(range(0, 21));
    sink.add(21);
    expect(sink.stats().dropped).toBe(1);
    expect(await sink.close({ timeoutMs: 1 })).toBe(result);
  });

  it('close() cuts a long backoff short and retries until the deadline', async () => {
    const { clock, store, sink } = setup({ initialBackoffMs: 30_000, maxBackoffMs: 30_000 });
    store.down = true;
    sink.add(1);
    await clock.advance(1000);
    expect(store.attempts).toHaveLength(1);
    const closing = sink.close({ timeoutMs: 10_000 });
    await clock.advance(0);
    expect(store.attempts).toHaveLength(2);
    await clock.advance(2500);
    store.down = false;
    await clock.advance(1000);
    expect((await closing).unwritten).toEqual([]);
    expect(store.stored).toEqual([1]);
    expect(store.attempts.length).toBeGreaterThanOrEqual(4);
  });

  it('close() reports, in order, what it could not write by the deadline', async () => {
    const { clock, store, sink, lines } = setup();
    store.down = true;
    for (const n of range(0, 15)) sink.add(n);
    const closing = sink.close({ timeoutMs: 3000 });
    await clock.advance(3000);
    const result = await closing;
    expect(result.unwritten).toEqual(range(0, 15));
    expect(result.stats).toMatchObject({ pending: 15, written: 0 });
    expect(lines.some((l) => l.includes('could not write'))).toBe(true);
    const attempts = store.attempts.length;
    await clock.advance(10_000);
    expect(store.attempts).toHaveLength(attempts);
  });

  it('close() gives up on a write that hangs past the deadline and aborts it', async () => {
    const clock = new ManualClock();
    let aborted = false;
    const sink = new BufferedSink<number>({
      name: 'hang',
      logger: captureLogger().logger,
      clock,
      write: (_batch, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
    });
    sink.add(1);
    const closing = sink.close({ timeoutMs: 2000 });
    await clock.advance(2000);
    expect((await closing).unwritten).toEqual([1]);
    expect(aborted).toBe(true);
  });
});

/** Adds `count` rows; returns weak references to them. */
function addRows(sink: BufferedSink<{ id: number }>, count: number): WeakRef<object>[] {
  return Array.from({ length: count }, (_, id) => {
    const row = { id };
    sink.add(row);
    return new WeakRef(row);
  });
}

describe('BufferedSink memory', () => {
  it('lets go of an item once it is written, without waiting for the buffer to be compacted', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const clock = new ManualClock();
    const { logger } = captureLogger();
    const written: number[] = [];
    const sink = new BufferedSink<{ id: number }>({
      name: 'test',
      write: async (batch) => {
        written.push(...batch.map((row) => row.id));
        await Promise.resolve();
      },
      logger,
      clock,
      maxBatchSize: 10,
      flushIntervalMs: 1000,
    });
    // Made in a function of their own: this async test's suspended frame would keep its last local alive.
    const refs = addRows(sink, 5);
    await clock.advance(1000);
    expect(written).toEqual([0, 1, 2, 3, 4]);
    await settle();
    gc();
    expect(refs.map((ref) => ref.deref())).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
