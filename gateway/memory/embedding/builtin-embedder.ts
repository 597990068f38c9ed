// The default embedder: deterministic hashed features (see hashed-features.ts), computed in
// process. It needs no model, no network and no key, costs microseconds per text, and gives the
// same vector for the same text on every replica and every version with the same id. It matches
// words and word pieces, not meanings: paraphrases that share no word stems are out of its reach
// (BENCHMARKS.md, "Memory: built-in embedder", has the numbers).
import type { Embedder, EmbedOptions } from './embedder.ts';
import { fnv1a } from '../../hashing/fnv1a.ts';
import { createFeatureVectoriser, DEFAULT_HASH_FEATURES } from './hashed-features.ts';
import type { HashFeatureConfig } from './hashed-features.ts';

/**
 * Bump the version whenever tokenisation, stemming, stop words, hashing or weights change: the id
 * names the Qdrant collection, and vectors from two versions must never be mixed in one.
 */
export const BUILTIN_EMBEDDER_ID = 'builtin-hash-v1';

/**
 * The dimension is not part of the id (a space is named by id and dimension together, as for
 * provider models); any other non-default setting (benchmarks, experiments) gets its own id.
 */
function idFor(config: HashFeatureConfig): string {
  const keys = (Object.keys(DEFAULT_HASH_FEATURES) as (keyof HashFeatureConfig)[]).filter((k) => k !== 'dimension');
  if (keys.every((k) => config[k] === DEFAULT_HASH_FEATURES[k])) return BUILTIN_EMBEDDER_ID;
  return `${BUILTIN_EMBEDDER_ID}~${fnv1a(JSON.stringify(keys.map((k) => config[k]))).toString(16)}`;
}

function validate(config: HashFeatureConfig): void {
  if (!Number.isInteger(config.dimension) || config.dimension < 8)
    throw new RangeError(`Built-in embedder dimension must be an integer of at least 8, got ${config.dimension}.`);
  if (!(config.minGram >= 1 && config.maxGram >= config.minGram))
    throw new RangeError(`Built-in embedder n-gram range ${config.minGram}..${config.maxGram} is empty.`);
  if (!Number.isInteger(config.wordProbes) || config.wordProbes < 1)
    throw new RangeError(`Built-in embedder wordProbes must be a positive integer, got ${config.wordProbes}.`);
}

export interface BuiltinEmbedder extends Embedder {
  /** The synchronous core, for callers that embed in a tight loop (benchmarks, batch jobs). */
  embedOne(text: string): Float32Array;
}

export function createBuiltinEmbedder(features: Partial<HashFeatureConfig> = {}): BuiltinEmbedder {
  const config: HashFeatureConfig = { ...DEFAULT_HASH_FEATURES, ...features };
  validate(config);
  const vectorise = createFeatureVectoriser(config);
  return {
    id: idFor(config),
    dimension: config.dimension,
    embedOne: vectorise,
    embed(texts: readonly string[], options: EmbedOptions): Promise<Float32Array[]> {
      try {
        options.signal?.throwIfAborted();
        return Promise.resolve(texts.map((text) => vectorise(text)));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
}
