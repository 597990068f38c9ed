// A reusable open-addressing table from 32-bit feature hashes to their occurrences in one text,
// so term frequency can be made sublinear before the features are folded into the vector. It is
// cleared in O(1) by bumping an epoch rather than zeroing, and only grows (for very long texts),
// so embedding thousands of texts allocates no tables at all.

export interface FeatureTable {
  /** Starts a new text. */
  clear(): void;
  /** Records one occurrence of feature `key` (an avalanche-mixed hash) with weight `weight`. */
  add(key: number, weight: number): void;
  /** Number of distinct features since clear(). */
  readonly size: number;
  /** Calls `visit` once per distinct feature with its weight: mean occurrence weight × (1 + ln tf). */
  forEach(visit: (key: number, weight: number) => void): void;
}

export function createFeatureTable(initialCapacity = 1024): FeatureTable {
  let capacity = initialCapacity;
  let keys = new Uint32Array(capacity);
  let sums = new Float64Array(capacity);
  let counts = new Uint32Array(capacity);
  let stamps = new Uint32Array(capacity);
  let used = new Int32Array(capacity);
  let epoch = 1;
  let size = 0;

  function slotOf(key: number): number {
    const mask = capacity - 1;
    let slot = key & mask;
    while (stamps[slot] === epoch && keys[slot] !== key) slot = (slot + 1) & mask;
    return slot;
  }

  function insert(key: number, sum: number, count: number): void {
    const slot = slotOf(key);
    if (stamps[slot] !== epoch) {
      stamps[slot] = epoch;
      keys[slot] = key;
      sums[slot] = 0;
      counts[slot] = 0;
      used[size++] = slot;
    }
    sums[slot] = (sums[slot] ?? 0) + sum;
    counts[slot] = (counts[slot] ?? 0) + count;
  }

  function grow(): void {
    const old = { keys, sums, counts, used, size };
    capacity *= 2;
    keys = new Uint32Array(capacity);
    sums = new Float64Array(capacity);
    counts = new Uint32Array(capacity);
    stamps = new Uint32Array(capacity);
    used = new Int32Array(capacity);
    epoch = 1;
    size = 0;
    for (let i = 0; i < old.size; i++) {
      const slot = old.used[i] ?? 0;
      insert(old.keys[slot] ?? 0, old.sums[slot] ?? 0, old.counts[slot] ?? 0);
    }
  }

  return {
    clear() {
      size = 0;
      epoch++;
      // After 2^32 - 1 texts the epoch would wrap onto stale stamps: start over instead.
      if (epoch === 0xffffffff) {
        stamps.fill(0);
        epoch = 1;
      }
    },
    add(key, weight) {
      // Keep the load under one half so probe runs stay short.
      if (size * 2 >= capacity) grow();
      insert(key >>> 0, weight, 1);
    },
    get size() {
      return size;
    },
    forEach(visit) {
      for (let i = 0; i < size; i++) {
        const slot = used[i] ?? 0;
        const count = counts[slot] ?? 1;
        visit(keys[slot] ?? 0, ((sums[slot] ?? 0) / count) * (1 + Math.log(count)));
      }
    },
  };
}
