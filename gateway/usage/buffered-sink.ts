// A bounded, batching background writer for records that must not be lost (usage rows, billing
// events). The request path only calls add(), which never blocks and never throws; a single
// writer drains the buffer in order, in batches of at most `maxBatchSize`, when a batch is full or
// every `flushIntervalMs`. A failed batch stays at the head of the buffer and is retried with
// capped exponential backoff while new items keep queueing behind it, so order is kept and
// nothing is lost; the writes must therefore be idempotent (usage rows and Polar events both carry
// the gateway's own request id as a de-duplication key), because a write that failed on the client
// side may still have been applied.
//
// Bounded, and what happens at the bound: losing usage is worse than holding memory, so the
// buffer is large (100,000 items by default, tens of MB) and rides out minutes of downtime at
// high request rates. Only past that does add() refuse new items: they are counted in `dropped`
// (exposed for a metric) and logged once per overflow episode. Newest rather than oldest are
// refused because the oldest may be in flight, and because evicting them would reorder the log.
//
// A write can say a failure is permanent by throwing a SinkWriteError: either the whole batch
// can never be written (rejected and counted), or some item in it is bad (`itemSpecific`), in
// which case the sink writes that batch again one item at a time, so one poisoned row costs only
// itself and never blocks the buffer (head-of-line blocking would otherwise fill it).
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.ts';

export interface SinkWriteErrorOptions {
  /** Worth trying again later (network errors, 5xx, 429, a database that is down). Default true. */
  retryable?: boolean;
  /** Not retryable because of some item(s) in the batch: write them one by one to isolate them. */
  itemSpecific?: boolean;
  /** The server asked for this pause (Retry-After). */
  retryAfterMs?: number;
  cause?: unknown;
}

/** Thrown by a write to classify its failure; any other error counts as retryable. */
export class SinkWriteError extends Error {
  readonly retryable: boolean;
  readonly itemSpecific: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: SinkWriteErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SinkWriteError';
    this.retryable = options.retryable ?? true;
    this.itemSpecific = options.itemSpecific ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Writes one batch; resolves once it is durably stored. `signal` aborts at the shutdown deadline. */
export type BatchWriter<T> = (batch: readonly T[], signal: AbortSignal) => Promise<void>;

/** Knobs with defaults; callers that wrap a sink (usage log, Polar) pass these through. */
export interface SinkTuning {
  /** Most items per write. Default 100. */
  maxBatchSize?: number;
  /** A partial batch is written at the latest this long after it started. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Most items held (pending plus in flight) before add() refuses. Default 100,000. */
  capacity?: number;
  /** First retry delay. Default 250 ms. */
  initialBackoffMs?: number;
  /** Ceiling of the exponential retry delay. Default 30 s. */
  maxBackoffMs?: number;
  /** Ceiling on a server's Retry-After. Default 5 min. */
  maxRetryAfterMs?: number;
}

export interface BufferedSinkOptions<T> extends SinkTuning {
  /** Names the sink in logs, e.g. "usage-log". */
  name: string;
  write: BatchWriter<T>;
  logger: Logger;
  clock?: Clock;
  /** Jitter source in [0, 1); tests pin it. */
  random?: () => number;
}

export interface SinkStats {
  /** Accepted and not yet written (including a batch in flight). */
  pending: number;
  /** Written successfully. */
  written: number;
  /** Write calls that failed (each retry counts). */
  failedAttempts: number;
  /** Refused by add() because the buffer was full or the sink closed. */
  dropped: number;
  /** Given up on because the write said they can never succeed. */
  rejected: number;
  /** Failures in a row since the last successful write (0 when healthy). */
  consecutiveFailures: number;
}

export interface CloseResult<T> {
  /** Items that could not be written before the deadline (a batch in flight may still land). */
  unwritten: readonly T[];
  stats: SinkStats;
}

interface FlushWaiter {
  target: number;
  resolve: (done: boolean) => void;
  cancel?: () => void;
}

/** While shutting down, retry at least this often: the deadline is short. */
const CLOSING_MAX_BACKOFF_MS = 1000;

export class BufferedSink<T> {
  private readonly name: string;
  private readonly writeBatch: BatchWriter<T>;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly maxBatchSize: number;
  private readonly flushIntervalMs: number;
  private readonly capacity: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;

  /**
   * items[head..] are pending, oldest first; the in-flight batch is always a prefix of them. Slots
   * before head are emptied as items finish: under load the array lives long (in the old
   * generation), and a finished row it still pointed to would be kept through every scavenge until
   * the next compaction, then promoted.
   */
  private items: (T | undefined)[] = [];
  private head = 0;
  /** Items accepted / finished (written or rejected) since start: flush() waits on these. */
  private accepted = 0;
  private finished = 0;
  /** The next `isolate` items are written one at a time (after an item-specific failure). */
  private isolate = 0;

  private writing = false;
  private cancelBackoff: (() => void) | undefined;
  private cancelTick: (() => void) | undefined;
  private readonly waiters: FlushWaiter[] = [];
  private readonly abort = new AbortController();
  private closing = false;
  private closed = false;
  private closeResult: Promise<CloseResult<T>> | undefined;
  private overflowing = false;
  private refusedAfterClose = false;

  private written = 0;
  private failedAttempts = 0;
  private dropped = 0;
  private rejected = 0;
  private consecutiveFailures = 0;

  constructor(options: BufferedSinkOptions<T>) {
    this.name = options.name;
    this.writeBatch = options.write;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.maxBatchSize = Math.max(1, options.maxBatchSize ?? 100);
    this.flushIntervalMs = Math.max(1, options.flushIntervalMs ?? 1000);
    this.capacity = Math.max(this.maxBatchSize, options.capacity ?? 100_000);
    this.initialBackoffMs = Math.max(1, options.initialBackoffMs ?? 250);
    this.maxBackoffMs = Math.max(this.initialBackoffMs, options.maxBackoffMs ?? 30_000);
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
    this.scheduleTick();
  }

  /** Queues one item. Never blocks, never throws: this runs on the request path. */
  add(item: T): void {
    if (this.closed) {
      this.refuse('closed');
      return;
    }
    if (this.pending >= this.capacity) {
      this.refuse('full');
      return;
    }
    this.items.push(item);
    this.accepted++;
    if (this.pending >= this.maxBatchSize) this.pump();
  }

  stats(): SinkStats {
    return {
      pending: this.pending,
      written: this.written,
      failedAttempts: this.failedAttempts,
      dropped: this.dropped,
      rejected: this.rejected,
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  /**
   * Writes everything added so far (retrying as usual) without waiting for the interval.
   * Resolves true once all of it is written or rejected, false if `timeoutMs` passes first.
   */
  flush(options: { timeoutMs?: number } = {}): Promise<boolean> {
    if (this.finished >= this.accepted) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: FlushWaiter = { target: this.accepted, resolve };
      if (options.timeoutMs !== undefined) {
        waiter.cancel = this.clock.schedule(options.timeoutMs, () => {
          this.removeWaiter(waiter);
          resolve(false);
        });
      }
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /**
   * For SIGTERM: stops the timer, writes everything left (items added meanwhile too), retrying
   * until `timeoutMs`, then refuses further items. Reports what could not be written; the caller
   * decides where it goes (at least the log). Calling it again returns the same result.
   */
  close(options: { timeoutMs: number }): Promise<CloseResult<T>> {
    this.closeResult ??= this.drainAndClose(options.timeoutMs);
    return this.closeResult;
  }

  private async drainAndClose(timeoutMs: number): Promise<CloseResult<T>> {
    this.closing = true;
    this.cancelTick?.();
    this.cancelTick = undefined;
    // A long backoff (or Retry-After) must not outlast the shutdown deadline: try again now.
    this.stopBackoff();
    // Requests finishing during the drain still add items: keep flushing until none are left or
    // the deadline passes (one flush only waits for what was there when it was called).
    const deadline = this.clock.now() + timeoutMs;
    while (this.finished < this.accepted) {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0 || !(await this.flush({ timeoutMs: remaining }))) break;
    }
    this.closed = true;
    this.stopBackoff();
    this.abort.abort(new Error(`${this.name}: shutdown deadline reached`));
    const unwritten = this.items.slice(this.head) as T[];
    if (unwritten.length > 0) {
      this.logger.error({ sink: this.name, unwritten: unwritten.length }, 'buffered sink closed with items it could not write');
    } else {
      this.logger.info({ sink: this.name, written: this.written }, 'buffered sink drained and closed');
    }
    return { unwritten, stats: this.stats() };
  }

  private get pending(): number {
    return this.items.length - this.head;
  }

  private get draining(): boolean {
    return this.closing || this.waiters.length > 0;
  }

  private stopBackoff(): void {
    this.cancelBackoff?.();
    this.cancelBackoff = undefined;
  }

  /** Counts a refused item; logs once per overflow episode (and once after close), not per item. */
  private refuse(reason: 'full' | 'closed'): void {
    this.dropped++;
    if (reason === 'closed') {
      if (this.refusedAfterClose) return;
      this.refusedAfterClose = true;
      this.logger.error({ sink: this.name, dropped: this.dropped }, 'sink closed: refusing new items');
      return;
    }
    if (this.overflowing) return;
    this.overflowing = true;
    this.logger.error(
      { sink: this.name, capacity: this.capacity, dropped: this.dropped },
      'buffer full: refusing new items until it drains',
    );
  }

  private scheduleTick(): void {
    this.cancelTick = this.clock.schedule(
      this.flushIntervalMs,
      () => {
        this.cancelTick = undefined;
        this.pump();
        if (!this.closing) this.scheduleTick();
      },
      { background: true },
    );
  }

  /** Starts the next write unless one is running, a retry is waiting, or there is nothing to do. */
  private pump(): void {
    if (this.writing || this.cancelBackoff || this.closed || this.pending === 0) return;
    this.writing = true;
    void this.writeNext().finally(() => {
      this.writing = false;
      this.afterWrite();
    });
  }

  private afterWrite(): void {
    if (this.cancelBackoff) return;
    // Keep going without waiting for the tick when a full batch is ready, when someone waits for
    // a flush, or while isolating a bad item.
    if (this.pending >= this.maxBatchSize || this.isolate > 0 || (this.draining && this.pending > 0)) this.pump();
  }

  private async writeNext(): Promise<void> {
    const size = this.isolate > 0 ? 1 : Math.min(this.maxBatchSize, this.pending);
    const batch = this.items.slice(this.head, this.head + size) as T[];
    try {
      await this.writeBatch(batch, this.abort.signal);
    } catch (err) {
      this.failed(err, size);
      return;
    }
    if (this.consecutiveFailures > 0) {
      this.logger.info({ sink: this.name, failedAttempts: this.consecutiveFailures, pending: this.pending }, 'buffered sink writing again');
    }
    this.consecutiveFailures = 0;
    this.written += size;
    this.finish(size);
  }

  private failed(err: unknown, size: number): void {
    this.failedAttempts++;
    const failure = err instanceof SinkWriteError ? err : undefined;
    const error = err instanceof Error ? err.message : String(err);
    if (failure && !failure.retryable) {
      if (failure.itemSpecific && size > 1) {
        this.isolate = size;
        this.logger.warn({ sink: this.name, batch: size, error }, 'batch refused because of some item in it; writing its items one by one');
        return;
      }
      this.rejected += size;
      this.logger.error({ sink: this.name, rejected: size, rejectedTotal: this.rejected, error }, 'items refused for good; dropping them');
      this.finish(size);
      return;
    }
    this.consecutiveFailures++;
    if (this.closed) return; // past the shutdown deadline: close() has reported these items
    const delay = this.retryDelay(failure?.retryAfterMs);
    // The first failure of an outage is a warning; the rest are debug noise until it recovers.
    const level = this.consecutiveFailures === 1 ? 'warn' : 'debug';
    this.logger[level](
      { sink: this.name, pending: this.pending, attempt: this.consecutiveFailures, retryInMs: delay, error },
      'batch write failed; will retry',
    );
    this.cancelBackoff = this.clock.schedule(delay, () => {
      this.cancelBackoff = undefined;
      this.pump();
    });
  }

  private retryDelay(retryAfterMs: number | undefined): number {
    const exponent = Math.min(this.consecutiveFailures - 1, 30);
    const backoff = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** exponent);
    // Equal jitter: replicas that failed together do not all retry in the same millisecond.
    const jittered = backoff / 2 + (backoff / 2) * this.random();
    const delay = retryAfterMs === undefined ? jittered : Math.min(Math.max(retryAfterMs, 0), this.maxRetryAfterMs);
    return this.closing ? Math.min(delay, CLOSING_MAX_BACKOFF_MS) : delay;
  }

  /** The first `count` pending items are done (written or rejected). */
  private finish(count: number): void {
    this.items.fill(undefined, this.head, this.head + count);
    this.head += count;
    this.finished += count;
    this.isolate = Math.max(0, this.isolate - count);
    // Compact now and then so the array does not grow forever (amortised O(1) per item).
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.overflowing && !this.closed && this.pending < this.capacity / 2) {
      this.overflowing = false;
      this.logger.warn({ sink: this.name, dropped: this.dropped }, 'buffer has room again');
    }
    for (const waiter of [...this.waiters]) {
      if (this.finished < waiter.target) continue;
      this.removeWaiter(waiter);
      waiter.cancel?.();
      waiter.resolve(true);
    }
  }

  private removeWaiter(waiter: FlushWaiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }
}
