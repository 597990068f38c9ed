// The one interface memory uses to turn text into vectors, whatever computes them (the built-in
// hashing embedder, a provider's /embeddings, or an in-cluster embedding model).
//
// Vectors are Float32Array: Qdrant stores float32 anyway, so nothing is lost, and a typed array
// is a quarter of the memory of number[] and cheap to hand to the store. Every vector is
// L2-normalised (unit length) so cosine similarity is a plain dot product; the one exception is
// the all-zero vector an embedder returns for text with no features (empty or punctuation only),
// which callers should not store or search with.

/** Tokens an embedding call consumed, for memory's own accounting (research §5 idea 6). */
export interface EmbeddingUsage {
  promptTokens: number;
  /** True when the upstream did not report usage and it was estimated. */
  estimated: boolean;
}

export interface EmbedOptions {
  /** Aborts the call (client gone, retrieval deadline passed). */
  signal?: AbortSignal;
  /** Called once per upstream call with its usage; the built-in embedder never calls it (it costs nothing). */
  onUsage?: (usage: EmbeddingUsage) => void;
}

export interface Embedder {
  /**
   * Names the embedding space: two embedders with the same id produce comparable vectors. It
   * names the Qdrant collection, so any change to features or model must change it.
   */
  readonly id: string;
  /** Length of every vector. */
  readonly dimension: number;
  /** One unit vector per text, in the order given. */
  embed(texts: readonly string[], options: EmbedOptions): Promise<Float32Array[]>;
}
