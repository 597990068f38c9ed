// Which prompt-prefix blocks each replica of one ModelServer most recently served, as this gateway
// saw it: the approximate stand-in for the replicas' prefix caches that prefix routing reads.
//
// One bounded LRU per replica, as vLLM evicts its own cache least recently used first. A request's
// blocks are recorded for the replica it is sent to at the moment it is sent, not when it ends, so
// a burst of requests sharing a new system prompt follows the first of them instead of scattering
// before any has finished. The index is per gateway replica and starts empty: each gateway learns
// its own view, which is enough for stickiness, and no state is shared or persisted.

/**
 * Blocks remembered per replica by default: 16384 blocks of 128 characters, about half a million
 * tokens, the order of a large GPU's KV cache for a 7-8B model. Remembering more than the replica
 * holds only makes the index claim hits the cache has already evicted; less, forget ones it still has.
 */
export const DEFAULT_BLOCKS_PER_REPLICA = 16_384;

export class PrefixIndex {
  readonly #capacity: number;
  /** Per replica, its blocks in least to most recently used order (a Map iterates in insertion order). */
  readonly #replicas = new Map<string, Map<number, true>>();

  /** `capacity`: blocks remembered per replica; the oldest go first. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** How many of the leading blocks the replica is believed to hold: the length of the longest prefix it served. */
  matched(replicaId: string, blocks: readonly number[]): number {
    const held = this.#replicas.get(replicaId);
    if (!held) return 0;
    let count = 0;
    while (count < blocks.length && held.has(blocks[count] as number)) count++;
    return count;
  }

  /** The replica is serving a prompt with these blocks. */
  record(replicaId: string, blocks: readonly number[]): void {
    if (blocks.length === 0) return;
    let held = this.#replicas.get(replicaId);
    if (!held) {
      held = new Map();
      this.#replicas.set(replicaId, held);
    }
    // Last block first, so the leading blocks end up most recent: eviction then trims a prefix from
    // its end, and what stays is still a prefix that matched() can walk from the start.
    for (let i = blocks.length - 1; i >= 0; i--) {
      const block = blocks[i] as number;
      held.delete(block);
      held.set(block, true);
    }
    for (const oldest of held.keys()) {
      if (held.size <= this.#capacity) break;
      held.delete(oldest);
    }
  }

  /** The replica left the pool: whatever it held is gone with it. */
  forget(replicaId: string): void {
    this.#replicas.delete(replicaId);
  }

  /** Blocks remembered for a replica (tests and /health). */
  size(replicaId: string): number {
    return this.#replicas.get(replicaId)?.size ?? 0;
  }
}
