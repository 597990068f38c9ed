// The bounded, batching queue between the response and the extractor. Exchanges wait in groups,
// one group per batch key (one user's scope and conversation: an extractor call never sees two
// users' words, and its cost is one account's), until the group holds `batchSize` exchanges or
// its oldest has waited `flushIntervalMs`; then the group is handed to `process`, at most
// `concurrency` at a time. add() never blocks and never throws: past `capacity` exchanges waiting
// or in flight it refuses and counts the drop. A dropped or failed batch costs facts only: the
// raw turns are written by their own queue (memory-service.ts).
//
// Unlike the usage log's BufferedSink there is no retry: a batch the extractor could not read is
// counted and let go, because a retry would pay for the same tokens again, and the turns it came
// from are remembered anyway.
export interface FactQueueOptions<T> {
  batchSize: number;
  flushIntervalMs: number;
  /** Most exchanges waiting or in flight. */
  capacity: number;
  /** Most batches processed at once. */
  concurrency: number;
  /** Handles one batch; its errors are the caller's to count (a rejection is only logged by onError). */
  process: (batch: readonly T[]) => Promise<void>;
  onError: (err: unknown) => void;
}

export interface FactQueueStats {
  /** Waiting or in flight. */
  pending: number;
  /** Refused by add(): the queue was full or closed. */
  dropped: number;
}

interface Group<T> {
  items: T[];
  timer: NodeJS.Timeout;
}

export class FactQueue<T> {
  readonly #options: FactQueueOptions<T>;
  readonly #groups = new Map<string, Group<T>>();
  readonly #ready: T[][] = [];
  #running = 0;
  #pending = 0;
  #dropped = 0;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(options: FactQueueOptions<T>) {
    this.#options = options;
  }

  stats(): FactQueueStats {
    return { pending: this.#pending, dropped: this.#dropped };
  }

  /** Queues one exchange under its batch key; false (and counted) when it was dropped. */
  add(key: string, item: T): boolean {
    if (this.#closed || this.#pending >= this.#options.capacity) {
      this.#dropped++;
      return false;
    }
    this.#pending++;
    let group = this.#groups.get(key);
    if (group === undefined) {
      const timer = setTimeout(() => {
        this.#take(key);
      }, this.#options.flushIntervalMs);
      timer.unref();
      group = { items: [], timer };
      this.#groups.set(key, group);
    }
    group.items.push(item);
    if (group.items.length >= this.#options.batchSize) this.#take(key);
    return true;
  }

  /** Hands every waiting group to the extractor now and resolves when all batches are done (tests, shutdown). */
  async flush(timeoutMs = 30_000): Promise<boolean> {
    for (const key of [...this.#groups.keys()]) this.#take(key);
    if (this.#pending === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      new Promise<boolean>((resolve) => {
        this.#idle.push(() => {
          resolve(true);
        });
      }),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          resolve(false);
        }, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return done;
  }

  /** Refuses new exchanges, processes what waits within the deadline; returns how many were left undone. */
  async close(timeoutMs: number): Promise<number> {
    this.#closed = true;
    await this.flush(timeoutMs);
    return this.#pending;
  }

  #take(key: string): void {
    const group = this.#groups.get(key);
    if (group === undefined) return;
    clearTimeout(group.timer);
    this.#groups.delete(key);
    this.#ready.push(group.items);
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#options.concurrency && this.#ready.length > 0) {
      const batch = this.#ready.shift() ?? [];
      this.#running++;
      this.#options
        .process(batch)
        .catch(this.#options.onError)
        .finally(() => {
          this.#running--;
          this.#pending -= batch.length;
          this.#pump();
          if (this.#pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
        });
    }
  }
}
