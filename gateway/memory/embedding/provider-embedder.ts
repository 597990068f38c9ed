// Embeddings from an OpenAI-compatible POST {baseURL}/embeddings: the user's own provider with
// their own key, or an in-cluster embedding model (vLLM, TEI) with none. The HTTP work (pooled
// connections, retries before the first byte, error mapping, key redaction) is the provider
// client's; this file batches, enforces a deadline, and checks and normalises what comes back.
import type { ProviderClient, ProviderTarget } from '../../providers/provider-client.ts';
import type { Embedding, EmbeddingsRequest } from '../../protocols/openai/types.ts';
import type { Embedder, EmbedOptions } from './embedder.ts';
import { EmbeddingError } from './embedding-error.ts';
import { normalised } from './vector.ts';
import { ChildSignal } from '../../child-signal.ts';

export interface ProviderEmbedderOptions {
  client: ProviderClient;
  /** Where and as whom; `upstreamModel` is the model name sent upstream. */
  target: ProviderTarget;
  /** Names the embedding space (and the Qdrant collection), e.g. "provider:text-embedding-3-small". */
  id: string;
  dimension: number;
  /** Send `dimensions` upstream, for models that shorten their vectors on request (text-embedding-3). */
  requestDimensions?: boolean;
  /** Texts per upstream call. Default 128 (OpenAI accepts 2048; smaller batches fail smaller). */
  batchSize?: number;
  /** Deadline for one embed() call, all batches included. Default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_BATCH = 128;
const DEFAULT_TIMEOUT_MS = 10_000;

function decode(embedding: Embedding['embedding']): number[] | Float32Array {
  if (Array.isArray(embedding)) return embedding;
  // encoding_format "base64": little-endian float32, read explicitly so host byte order is moot.
  const bytes = Buffer.from(embedding, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(Math.floor(bytes.byteLength / 4));
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

interface BatchCall {
  texts: string[];
  signal: AbortSignal;
  options: EmbedOptions;
}

export function createProviderEmbedder(opts: ProviderEmbedderOptions): Embedder {
  const model = opts.target.upstreamModel;
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  function checked(item: Embedding | undefined, position: number): Float32Array {
    if (item === undefined)
      throw new EmbeddingError(
        'bad_response',
        `Embedding model "${model}" returned fewer vectors than texts (none for input ${position}).`,
      );
    const values = decode(item.embedding);
    if (values.length !== opts.dimension) {
      throw new EmbeddingError(
        'dimension_mismatch',
        `Embedding model "${model}" returned ${values.length}-dimensional vectors, but memory.embedding.dimensions is ${opts.dimension}. Set dimensions to the model's size (a new collection is created for it).`,
      );
    }
    for (const value of values) {
      if (!Number.isFinite(value))
        throw new EmbeddingError('bad_response', `Embedding model "${model}" returned a vector with a non-finite value.`);
    }
    // Most models already return unit vectors; normalising anyway makes cosine a dot product for all.
    return normalised(values);
  }

  async function embedBatch({ texts, signal, options }: BatchCall): Promise<Float32Array[]> {
    const request: EmbeddingsRequest = {
      model,
      input: texts,
      encoding_format: 'float',
      ...(opts.requestDimensions ? { dimensions: opts.dimension } : {}),
    };
    const result = await opts.client.embeddings(request, opts.target, signal);
    options.onUsage?.({ promptTokens: result.usage.prompt_tokens, estimated: result.usageEstimated });
    // `index` says which input a vector belongs to; providers are not obliged to keep the order.
    const byIndex = new Map<number, Embedding>();
    for (const item of result.response.data) byIndex.set(item.index, item);
    return texts.map((_, i) => checked(byIndex.get(i), i));
  }

  async function embedAll(texts: readonly string[], signal: AbortSignal, options: EmbedOptions): Promise<Float32Array[]> {
    const out: Float32Array[] = texts.map(() => new Float32Array(opts.dimension));
    // Providers reject empty inputs; blank texts keep the zero vector (see embedder.ts).
    const positions = texts.flatMap((text, i) => (text.trim() === '' ? [] : [i]));
    for (let start = 0; start < positions.length; start += batchSize) {
      const slice = positions.slice(start, start + batchSize);
      const vectors = await embedBatch({ texts: slice.map((i) => texts[i] ?? ''), signal, options });
      slice.forEach((position, k) => {
        const vector = vectors[k];
        if (vector) out[position] = vector;
      });
    }
    return out;
  }

  return {
    id: opts.id,
    dimension: opts.dimension,
    async embed(texts, options) {
      if (texts.length === 0) return [];
      const deadline = new ChildSignal(options.signal, timeoutMs);
      try {
        return await embedAll(texts, deadline.signal, options);
      } catch (err) {
        // Our own deadline, not the caller's abort: say so rather than "client closed".
        if (deadline.expired && !options.signal?.aborted) {
          throw new EmbeddingError('timeout', `Embedding model "${model}" did not answer within ${timeoutMs} ms.`, err);
        }
        throw err;
      } finally {
        deadline.dispose();
      }
    },
  };
}
