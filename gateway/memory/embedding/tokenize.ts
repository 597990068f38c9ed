// Unicode-aware word splitting for the hashing embedder. A word is a run of letters, digits and
// combining marks in any script, with inner apostrophes kept long enough to resolve English
// contractions and possessives ("sister's" -> "sister", "don't" -> "not"); everything else
// (punctuation, symbols, emoji, spaces) separates words.

const WORD = /[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu;
const NON_ASCII = /\P{ASCII}/u;
const APOSTROPHES = /['’]/g;
/** Clitics whose removal leaves the word they attach to: "'s" (possessive or "is"), "'m", "'re", ... */
const CLITIC = /['’](?:s|m|re|ve|ll|d)$/;
const NEGATION = /n['’]t$/;

function resolveApostrophes(word: string): string {
  if (NEGATION.test(word)) return 'not';
  return word.replace(CLITIC, '').replace(APOSTROPHES, '');
}

/**
 * Lowercases (after NFKC for non-ASCII text, so full-width and compatibility forms meet their
 * plain forms) and splits `text` into words, calling `visit` for each in order. A callback rather
 * than an array keeps the hot path free of per-text allocations beyond the words themselves.
 */
export function forEachWord(text: string, visit: (word: string) => void): void {
  const folded = (NON_ASCII.test(text) ? text.normalize('NFKC') : text).toLowerCase();
  WORD.lastIndex = 0;
  for (let match = WORD.exec(folded); match !== null; match = WORD.exec(folded)) {
    const raw = match[0];
    const word = raw.includes("'") || raw.includes('’') ? resolveApostrophes(raw) : raw;
    if (word !== '') visit(word);
  }
}

/** The words of `text`, as forEachWord gives them. */
export function words(text: string): string[] {
  const out: string[] = [];
  forEachWord(text, (word) => out.push(word));
  return out;
}
