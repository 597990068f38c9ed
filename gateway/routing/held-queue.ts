// The bounded set of requests held for one ModelServer while it has no ready replica. Bounded so
// that a model that never comes up cannot make the gateway hold an unbounded number of sockets and
// request bodies: past the bound, clients get a 503 with Retry-After straight away. Insertion order
// is kept, so the oldest held request is woken (and served) first.

export class HeldQueue<T> {
  readonly #items = new Set<T>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#items.size;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** False, and nothing added, when the queue is full. */
  add(item: T): boolean {
    if (this.#items.size >= this.#capacity) return false;
    this.#items.add(item);
    return true;
  }

  remove(item: T): void {
    this.#items.delete(item);
  }

  /** The held items, oldest first (a copy: callers may remove while iterating). */
  items(): T[] {
    return [...this.#items];
  }
}
