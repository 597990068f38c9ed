// A short-lived read-through cache for lookups on the hot path (API keys, encrypted provider
// keys), so most requests never touch PostgreSQL. Concurrent lookups of one key share a single
// query. Invalidation is immediate and wins over lookups already in flight. Misses are not
// cached: something created on another replica must work on its first request here.
//
// When the source fails (PostgreSQL unreachable), an entry whose TTL has passed is still served
// for a stale window after that TTL, so keys in use keep working through an outage. Only a
// failure falls back on it: an answer of "not found" (a revoked or deleted key) drops the entry
// at once, and an invalidated entry is gone for good. While the source fails, it is asked again
// at most once per TTL; lookups in between get the stale entry without waiting.

export type Loader<V> = (key: string) => Promise<V | undefined>;

interface Entry<V> {
  value: V;
  /** Until then the entry is served without asking the source. */
  freshUntil: number;
  /** Until then the entry may stand in for a source that fails. */
  staleUntil: number;
}

export interface TtlCacheOptions<V> {
  load: Loader<V>;
  /** How long a loaded value is served without asking the source again. 0: nothing is cached. */
  ttlMs: number;
  /** How long after its TTL has passed a value may still be served while the source fails. Default 0. */
  staleMs?: number;
  maxEntries?: number;
  now?: () => number;
  /** Told each time a failed load was answered from a stale entry (for a metric and a log line). */
  onStaleServed?: (key: string, error: unknown) => void;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Promise<V | undefined>>();
  private readonly load: Loader<V>;
  private readonly ttlMs: number;
  private readonly staleMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly onStaleServed: (key: string, error: unknown) => void;
  /** Bumped by every invalidation, so a lookup that started before it cannot store a stale value. */
  private generation = 0;

  constructor(options: TtlCacheOptions<V>) {
    this.load = options.load;
    this.ttlMs = options.ttlMs;
    this.staleMs = options.staleMs ?? 0;
    this.maxEntries = options.maxEntries ?? 50_000;
    this.now = options.now ?? Date.now;
    this.onStaleServed = options.onStaleServed ?? (() => undefined);
  }

  async get(key: string): Promise<V | undefined> {
    const now = this.now();
    let entry = this.entries.get(key);
    if (entry && entry.freshUntil > now) return entry.value;
    if (entry && entry.staleUntil <= now) {
      this.entries.delete(key);
      entry = undefined;
    }
    const pending = this.loading.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const lookup = this.load(key)
      .then(
        (value) => {
          // "Not found" is an answer, not a failure: a revoked key must stop working now.
          if (value === undefined) this.entries.delete(key);
          else if (this.ttlMs > 0 && generation === this.generation) this.store(key, value);
          return value;
        },
        (err: unknown) => this.fallBack(key, entry, err),
      )
      .finally(() => {
        if (this.loading.get(key) === lookup) this.loading.delete(key);
      });
    this.loading.set(key, lookup);
    return lookup;
  }

  invalidate(key: string): void {
    this.generation++;
    this.entries.delete(key);
    this.loading.delete(key);
  }

  /** Drops everything, e.g. after the revocation channel was down and messages may be lost. */
  clear(): void {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
  }

  /**
   * A failed load: the stale entry it was meant to refresh, if that is still in the cache (not
   * invalidated meanwhile) and inside its stale window; otherwise the failure itself.
   */
  private fallBack(key: string, stale: Entry<V> | undefined, err: unknown): V {
    const now = this.now();
    if (!stale || this.entries.get(key) !== stale || stale.staleUntil <= now) throw err;
    // Ask the source again after one more TTL, not on every request of the outage.
    this.entries.set(key, { ...stale, freshUntil: Math.min(now + this.ttlMs, stale.staleUntil) });
    this.onStaleServed(key, err);
    return stale.value;
  }

  private store(key: string, value: V): void {
    // Re-inserted at the end, so that insertion order stays the order of last loads.
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const now = this.now();
    this.entries.set(key, { value, freshUntil: now + this.ttlMs, staleUntil: now + this.ttlMs + this.staleMs });
  }
}
