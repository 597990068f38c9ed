// Splits a long text into chunks a memory can hold and an embedder can represent (one vector for
// a whole article averages its topics into mush). Cuts fall on the coarsest boundary that works:
// paragraphs, then sentences, then words, and only a single "word" longer than a chunk (a URL, a
// base64 blob) is cut mid-way. Consecutive chunks share up to `overlapChars` of whole sentences or
// words, so a fact straddling a cut is still whole in one of them. Deterministic: the same text
// and options always give the same chunks.

export interface ChunkOptions {
  /** Longest chunk, in UTF-16 code units. */
  maxChars: number;
  /** Most text repeated from the end of one chunk at the start of the next; at most maxChars / 2. */
  overlapChars: number;
}

/** Each level splits after its delimiter, so pieces concatenate back to the original text. */
const LEVELS: readonly RegExp[] = [
  /\n[^\S\n]*\n\s*/g, // blank line: paragraphs
  /[.!?。！？…]+["'”’)\]]*\s+|\n+/g, // sentence ends and single line breaks
  /\s+/g, // words
];

function splitAfter(text: string, delimiter: RegExp): string[] {
  const parts: string[] = [];
  let start = 0;
  delimiter.lastIndex = 0;
  for (let match = delimiter.exec(text); match !== null; match = delimiter.exec(text)) {
    const end = match.index + match[0].length;
    if (end > start && end < text.length) {
      parts.push(text.slice(start, end));
      start = end;
    }
    if (match[0].length === 0) delimiter.lastIndex++;
  }
  parts.push(text.slice(start));
  return parts;
}

/** Cuts at maxChars, never between the two halves of a surrogate pair. */
function hardCut(text: string, maxChars: number): string[] {
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + maxChars);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && end - start > 1 && last >= 0xd800 && last <= 0xdbff) end--;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

function pieces(text: string, maxChars: number, level: number): string[] {
  if (text.length <= maxChars) return [text];
  const delimiter = LEVELS[level];
  if (!delimiter) return hardCut(text, maxChars);
  return splitAfter(text, delimiter).flatMap((part) => pieces(part, maxChars, level + 1));
}

/** The trailing pieces of a chunk that fit in `overlapChars` and leave room for `next`. */
function overlapTail(chunk: readonly string[], overlapChars: number, room: number): string[] {
  const tail: string[] = [];
  let length = 0;
  for (let i = chunk.length - 1; i >= 0; i--) {
    const piece = chunk[i] ?? '';
    if (length + piece.length > Math.min(overlapChars, room)) break;
    tail.unshift(piece);
    length += piece.length;
  }
  return tail;
}

function validate({ maxChars, overlapChars }: ChunkOptions): void {
  if (!Number.isInteger(maxChars) || maxChars < 1) throw new RangeError(`maxChars must be a positive integer, got ${maxChars}.`);
  if (!Number.isInteger(overlapChars) || overlapChars < 0 || overlapChars > maxChars / 2) {
    throw new RangeError(`overlapChars must be an integer from 0 to maxChars / 2 (${Math.floor(maxChars / 2)}), got ${overlapChars}.`);
  }
}

/** The chunks of `text`, trimmed; none for blank text, one when it already fits. */
export function chunkText(text: string, options: ChunkOptions): string[] {
  validate(options);
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (trimmed.length <= options.maxChars) return [trimmed];
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const piece of pieces(trimmed, options.maxChars, 0)) {
    if (length + piece.length > options.maxChars && current.length > 0) {
      chunks.push(current);
      current = overlapTail(current, options.overlapChars, options.maxChars - piece.length);
      length = current.reduce((sum, p) => sum + p.length, 0);
    }
    current.push(piece);
    length += piece.length;
  }
  chunks.push(current);
  return chunks.map((chunk) => chunk.join('').trim()).filter((chunk) => chunk !== '');
}
