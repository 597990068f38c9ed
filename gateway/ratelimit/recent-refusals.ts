// The callers this replica refused (429) and has not admitted since. A request from one of them
// has its rate limit decided before any other work starts (middleware/rate-limit.ts): a caller
// that keeps sending past its limit gets no recall started for it, only its 429. Per replica and
// in memory: it only chooses between deciding first and deciding alongside, never what is decided.

/** Callers are keyed by API key id (limits are per key), or by user for JWT callers. */
export function callerKey(principal: { keyId?: string; userId: string }): string {
  return principal.keyId ?? `user:${principal.userId}`;
}

export class RecentRefusals {
  readonly #refused = new Set<string>();
  readonly #capacity: number;

  /** `capacity` bounds the memory a flood of keys can take: past it the oldest refusal is forgotten. */
  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  refused(caller: string): void {
    this.#refused.add(caller);
    if (this.#refused.size > this.#capacity) {
      const oldest = this.#refused.values().next().value;
      if (oldest !== undefined) this.#refused.delete(oldest);
    }
  }

  admitted(caller: string): void {
    this.#refused.delete(caller);
  }

  has(caller: string): boolean {
    return this.#refused.has(caller);
  }
}
