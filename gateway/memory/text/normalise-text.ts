// The normal form in which two memory texts count as the same note: what the model would read as
// one fact written twice. NFKC (full-width and compatibility forms meet their plain forms),
// lowercase, and everything but letters and digits reduced to single spaces.

const NON_WORD = /[^\p{L}\p{N}]+/gu;

export function normaliseForComparison(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(NON_WORD, ' ').trim();
}
