// A crude English suffix stripper, in the spirit of Porter's step 1 and the "S-stemmer": it only
// has to map inflections of one word to one key ("allergies"/"allergy", "moved"/"moving"/"move",
// "lives"/"living"/"live"), not produce real words. Character n-grams catch what it misses
// ("allergic"/"allergy"). Only plain ASCII-letter words are touched: other scripts keep their
// surface form, and their character n-grams do the matching.

const VOWEL = /[aeiouy]/;
const ASCII_WORD = /^[a-z]+$/;

function hasVowel(word: string, end: number): boolean {
  return VOWEL.test(word.slice(0, end));
}

function stripPlural(w: string): string {
  if (w.endsWith('ies') && w.length > 4) return w.slice(0, -3) + 'y';
  if (w.endsWith('sses')) return w.slice(0, -2);
  if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) return w.slice(0, -1);
  return w;
}

function undouble(w: string): string {
  const last = w.charCodeAt(w.length - 1);
  // "running" -> "runn" -> "run"; "falling" stays "fall" (l, s, z double in the stem itself).
  if (w.length > 3 && last === w.charCodeAt(w.length - 2) && !/[aeiouylsz]$/.test(w)) return w.slice(0, -1);
  return w;
}

function stripVerbal(w: string): string {
  for (const suffix of ['ing', 'ed']) {
    const rest = w.length - suffix.length;
    if (w.endsWith(suffix) && rest >= 3 && hasVowel(w, rest)) return undouble(w.slice(0, rest));
  }
  if (w.endsWith('ly') && w.length > 5) return w.slice(0, -2);
  return w;
}

/** The matching key of a lowercased word. */
export function stem(word: string): string {
  if (word.length <= 3 || !ASCII_WORD.test(word)) return word;
  let w = stripVerbal(stripPlural(word));
  // A final e or y is dropped or folded so that "move"/"moved" and "happy"/"happily" meet.
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  else if (w.length > 3 && /[^aeiou]y$/.test(w)) w = w.slice(0, -1) + 'i';
  return w;
}
