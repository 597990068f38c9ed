// What prompt assembly needs from a retrieved memory. The store's own hit type may carry more
// (ids, payloads); the functions here are generic and hand the caller's objects back.

export interface InjectableMemory {
  text: string;
  /** When the memory was written: a Date, an ISO string or epoch milliseconds. Shown as its UTC date. */
  createdAt?: Date | string | number;
  /** Who said it; shown so the model does not take an assistant's suggestion for a user's fact. */
  role?: 'user' | 'assistant';
  /** A fact distilled from turns (memory/facts/): it names its speaker itself, so the line says "fact" instead of the role. */
  kind?: 'fact';
}

export interface MemoryHit extends InjectableMemory {
  /** Similarity to the query; higher is more relevant. */
  score: number;
  /** contentHash() of the text, when the store kept it (saves rehashing to de-duplicate). */
  contentHash?: string;
}
