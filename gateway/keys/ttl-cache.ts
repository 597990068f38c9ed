// A short-lived read-through cache for lookups on the hot path (API keys, encrypted provider
// keys), so most requests never touch PostgreSQL. Concurrent lookups of one key share a single
// query. Invalidation is immediate and wins over lookups already in flight. Misses are not
// cached: something created on another replica must work on its first request here.

export type Loader<V> = (key: string) => Promise<V | undefined>;

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Promise<V | undefined>>();
  private readonly load: Loader<V>;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Bumped by every invalidation, so a lookup that started before it cannot store a stale value. */
  private generation = 0;

  constructor(options: { load: Loader<V>; ttlMs: number; maxEntries?: number; now?: () => number }) {
    this.load = options.load;
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 50_000;
    this.now = options.now ?? Date.now;
  }

  async get(key: string): Promise<V | undefined> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) return entry.value;
    if (entry) this.entries.delete(key);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const lookup = this.load(key)
      .then((value) => {
        if (value !== undefined && this.ttlMs > 0 && generation === this.generation) this.store(key, value);
        return value;
      })
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

  private store(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }
}
