// Native vector sizes of well-known embedding models, so `dimensions` can be left out for them.
// Any other model must have its size configured: guessing would only fail later, at the first
// Qdrant write.
const NATIVE_DIMENSIONS: ReadonlyMap<string, number> = new Map([
  ['text-embedding-3-small', 1536],
  ['text-embedding-3-large', 3072],
  ['text-embedding-ada-002', 1536],
]);

/** The model's native dimension, if known. A provider prefix such as "openai/" is ignored. */
export function nativeDimension(model: string): number | undefined {
  return NATIVE_DIMENSIONS.get(model.slice(model.lastIndexOf('/') + 1));
}

/** Whether the model accepts OpenAI's `dimensions` parameter (shortened Matryoshka vectors). */
export function acceptsDimensionsParameter(model: string): boolean {
  return model.slice(model.lastIndexOf('/') + 1).startsWith('text-embedding-3-');
}
