// The lexical half of hybrid recall: a memory's words as a sparse vector for Qdrant, so that a
// rare word the question shares with a memory ("Okafor", "peanut") counts for much more than a
// common one ("today", "really"). The built-in dense embedder has no corpus statistics and weighs
// every content word alike; here Qdrant supplies them: the collection's sparse vector is declared
// with `modifier: "idf"`, and Qdrant multiplies each query term by its inverse document frequency,
// ln(1 + (N - n + 0.5) / (n + 0.5)), computed server-side over the points that have the vector.
//
// The words are the dense embedder's (tokenize.ts, stop-words.ts, stem.ts), so "allergies" in a
// question meets "allergy" in a memory in both channels. A term's index is a hash of its stem in
// [0, 2^31): Qdrant's sparse indices are unsigned 32-bit integers, and with a few hundred thousand
// distinct stems two of them share an index about once (birthday bound), which costs a little
// precision on two rare words and nothing else. Scripts written without spaces (CJK) come out of
// the tokenizer as whole phrases, so they are indexed as overlapping character bigrams, the usual
// unit for CJK keyword search.
//
// Stored values are BM25's saturated term frequency, tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgLen)):
// a word said five times is not five times the evidence, and a long turn that mentions a name in
// passing ranks below a short one about it. The query side is 1 per distinct term, so Qdrant's
// score is BM25 with the length statistic fixed (AVERAGE_TERMS) rather than measured per collection.
//
// Any change to which terms a text yields, their indices or their values changes what a stored
// vector means: bump LEXICAL_ENCODER_VERSION, which names the collection (collection-name.ts), so
// the store migrates memories into a fresh collection instead of mixing two encodings.
import { fmix32, fnv1a } from '../../hashing/fnv1a.ts';
import { stem } from './stem.ts';
import { STOP_WORDS } from './stop-words.ts';
import { forEachWord } from './tokenize.ts';

export const LEXICAL_ENCODER_VERSION = 1;

export interface SparseVector {
  /** Distinct, ascending, each in [0, 2^31). */
  indices: number[];
  /** One positive finite weight per index. */
  values: number[];
}

/** BM25's usual constants (Robertson et al.; Lucene's defaults). */
const K1 = 1.2;
const B = 0.75;
/** Content terms in a typical stored turn (a chat message after stop words), the "avgdl" BM25 would measure. */
const AVERAGE_TERMS = 16;
/** From CJK radicals on, most scripts write words without spaces (as hashed-features.ts). */
const WIDE_SCRIPT = 0x2e80;
const SINGLE_LATIN_LETTER = /^[a-z]$/;
/** A seed of its own, so lexical ids never correlate with the dense embedder's feature hashes. */
const LEXICAL_SEED = 0x6c657831; // "lex1"
const INDEX_MASK = 0x7fffffff;

/** The sparse index of one term (a stem, or a CJK bigram). */
export function termIndex(term: string): number {
  return (fmix32(fnv1a(term, LEXICAL_SEED)) & INDEX_MASK) >>> 0;
}

/** Calls `visit` with each term of `text`, in order, repeats included: content-word stems, CJK bigrams. */
export function forEachTerm(text: string, visit: (term: string) => void): void {
  forEachWord(text, (word) => {
    if (word.charCodeAt(0) >= WIDE_SCRIPT) {
      const chars = Array.from(word);
      if (chars.length === 1) visit(word);
      for (let i = 0; i + 1 < chars.length; i++) visit(`${chars[i] ?? ''}${chars[i + 1] ?? ''}`);
      return;
    }
    if (STOP_WORDS.has(word) || SINGLE_LATIN_LETTER.test(word)) return;
    visit(stem(word));
  });
}

/** Term counts by index (colliding terms add up). */
function termCounts(text: string): Map<number, number> {
  const counts = new Map<number, number>();
  forEachTerm(text, (term) => {
    const index = termIndex(term);
    counts.set(index, (counts.get(index) ?? 0) + 1);
  });
  return counts;
}

function sorted(weights: Map<number, number>): SparseVector {
  const indices = [...weights.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((i) => weights.get(i) ?? 0) };
}

/** A stored memory's sparse vector: BM25-saturated term frequencies. Empty when the text has no content terms. */
export function documentLexicalVector(text: string): SparseVector {
  const counts = termCounts(text);
  let length = 0;
  for (const count of counts.values()) length += count;
  const norm = K1 * (1 - B + (B * length) / AVERAGE_TERMS);
  const weights = new Map<number, number>();
  for (const [index, tf] of counts) weights.set(index, (tf * (K1 + 1)) / (tf + norm));
  return sorted(weights);
}

/** A question's sparse vector: 1 per distinct term (Qdrant's IDF does the weighting). Empty when it has no content terms. */
export function queryLexicalVector(text: string): SparseVector {
  const weights = new Map<number, number>();
  for (const index of termCounts(text).keys()) weights.set(index, 1);
  return sorted(weights);
}
