// The built-in embedder's features: the "hashing trick" over word unigrams, word bigrams and
// character n-grams, folded into a fixed number of signed buckets and L2-normalised.
//
//   unigrams   stemmed content words (stop words removed): the topic of the text;
//   bigrams    adjacent content words: "sister name" says more than "sister" and "name" apart;
//   char grams 3- to 5-grams of each word padded as "<word>", as fastText does: they match
//              inflections the stemmer misses ("allergic"/"allergy"), typos, compounds, and
//              scripts without spaces (runs of CJK use 2- and 3-grams).
//
// Each feature family hashes with its own seed. A feature's bucket comes from the low bits of its
// mixed hash and its sign from the top bit, so colliding features cancel on average instead of
// piling up (Weinberger et al., 2009); word features, the heaviest, are also spread over
// `wordProbes` buckets so that one unlucky collision cannot flip a ranking. Term frequency is sublinear (1 + ln tf) so a word repeated
// ten times does not drown the rest, and one word's character n-grams share a fixed weight
// (`charGramWeight`) however long the word is, so long words do not dominate short ones.
import { combineHashes, fmix32, FNV_OFFSET, fnvStep, fnv1a } from '../../hashing/fnv1a.ts';
import { createFeatureTable } from './feature-table.ts';
import { stem } from './stem.ts';
import { STOP_WORDS } from './stop-words.ts';
import { forEachWord } from './tokenize.ts';

export interface HashFeatureConfig {
  dimension: number;
  unigramWeight: number;
  bigramWeight: number;
  /**
   * Buckets per word feature (unigram, bigram), each with 1/sqrt(probes) of its weight. With one,
   * two heavy words colliding in a bucket can swing a similarity by a third; spread over two, a
   * collision costs half as much (the count-sketch idea), without a longer vector.
   */
  wordProbes: number;
  /** Weight of a stop word's unigram (0: stop words are dropped); they never get bigrams or n-grams. */
  stopWordWeight: number;
  /** Total weight (L2) of one word's character n-grams. */
  charGramWeight: number;
  minGram: number;
  maxGram: number;
}

/** Tuned on the recall benchmark's tuning seed (see BENCHMARKS.md), never on the reporting seed. */
export const DEFAULT_HASH_FEATURES: Readonly<HashFeatureConfig> = {
  dimension: 512,
  unigramWeight: 1,
  bigramWeight: 0.3,
  wordProbes: 2,
  stopWordWeight: 0,
  charGramWeight: 1,
  minGram: 3,
  maxGram: 5,
};

const CHAR_SEED = FNV_OFFSET ^ 0x5bd1e995;
const GOLDEN = 0x9e3779b1;
const OPEN = 0x3c; // "<"
const CLOSE = 0x3e; // ">"
/** From CJK radicals on, most scripts write words without spaces: a "word" may be a whole phrase. */
const WIDE_SCRIPT = 0x2e80;
const SINGLE_LATIN_LETTER = /^[a-z]$/;

export type FeatureVectoriser = (text: string) => Float32Array;

function gramCount(length: number, lo: number, hi: number): number {
  let n = 0;
  for (let size = lo; size <= hi; size++) n += Math.max(0, length - size + 1);
  return n;
}

/** Code unit `i` of "<word>" without building the padded string. */
function paddedCode(word: string, i: number): number {
  if (i === 0) return OPEN;
  if (i === word.length + 1) return CLOSE;
  return word.charCodeAt(i - 1);
}

function isContentWord(word: string): boolean {
  return !STOP_WORDS.has(word) && !SINGLE_LATIN_LETTER.test(word);
}

export function createFeatureVectoriser(config: HashFeatureConfig = DEFAULT_HASH_FEATURES): FeatureVectoriser {
  const table = createFeatureTable();
  const accumulator = new Float64Array(config.dimension);
  let previous = 0;
  let hasPrevious = false;

  function addCharGrams(word: string): void {
    const wide = word.charCodeAt(0) >= WIDE_SCRIPT;
    const lo = wide ? 2 : config.minGram;
    const hi = wide ? 3 : config.maxGram;
    const padded = word.length + 2;
    const total = gramCount(padded, lo, hi);
    if (total === 0) return;
    const weight = config.charGramWeight / Math.sqrt(total);
    // FNV is sequential, so the 3-, 4- and 5-grams starting at one position extend one another.
    for (let start = 0; start + lo <= padded; start++) {
      let h = CHAR_SEED;
      const end = Math.min(padded, start + hi);
      for (let i = start; i < end; i++) {
        h = fnvStep(h, paddedCode(word, i));
        if (i - start + 1 >= lo) table.add(fmix32(h), weight);
      }
    }
  }

  const probeScale = 1 / Math.sqrt(config.wordProbes);

  /** A word feature spread over `wordProbes` buckets, keeping its total L2 weight. */
  function addProbed(key: number, weight: number): void {
    for (let p = 0; p < config.wordProbes; p++) table.add(fmix32(key + Math.imul(p, GOLDEN)), weight * probeScale);
  }

  function addWord(word: string): void {
    const key = fnv1a(stem(word));
    addProbed(key, config.unigramWeight);
    if (hasPrevious && config.bigramWeight > 0) addProbed(combineHashes(previous, key), config.bigramWeight);
    previous = key;
    hasPrevious = true;
    if (config.charGramWeight > 0) addCharGrams(word);
  }

  function collect(text: string, keepStopWords: boolean): void {
    table.clear();
    hasPrevious = false;
    forEachWord(text, (word) => {
      if (keepStopWords || isContentWord(word)) addWord(word);
      else if (config.stopWordWeight > 0) table.add(fmix32(fnv1a(word)), config.stopWordWeight);
    });
  }

  function fold(): Float32Array {
    accumulator.fill(0);
    const dimension = config.dimension;
    table.forEach((key, weight) => {
      const bucket = key % dimension;
      accumulator[bucket] = (accumulator[bucket] ?? 0) + (key & 0x80000000 ? -weight : weight);
    });
    let norm = 0;
    for (const value of accumulator) norm += value * value;
    const out = new Float32Array(dimension);
    if (norm === 0) return out;
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < dimension; i++) out[i] = (accumulator[i] ?? 0) * scale;
    return out;
  }

  return (text) => {
    collect(text, false);
    // A text made only of stop words ("who am I?") still deserves a vector.
    if (table.size === 0) collect(text, true);
    return fold();
  };
}
