// Removes injected memory blocks from text: from a user turn or a reply before it is stored (so
// injected memories are never stored again), and from user-provided text in case a client echoes
// the block back.
//
// A single left-to-right scan rather than one big regex: the text is the client's, and a lazy
// "open tag, anything, close tag" pattern over a text full of unclosed open tags would take
// quadratic time. Here each character is looked at a bounded number of times.
import { MEMORY_INSTRUCTION } from './memory-fence.ts';

const MARKER = /perpetual-memory/i;
const OPEN_TAG = /<\s*perpetual-memory\b[^<>]{0,200}>/gi;
const CLOSE_TAG = /<\s*\/\s*perpetual-memory\s*>/gi;
const EXTRA_BLANK_LINES = /\n{3,}/g;

/**
 * Past the spaces and the one line break that follow `from`: a removed block takes those along,
 * not the spaces before it, so the words on either side stay apart.
 */
function afterTrailingSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  if (text[i] === '\r') i++;
  return text[i] === '\n' ? i + 1 : i;
}

/**
 * A block opened and never closed can only be ours, cut short (a client truncating history): skip
 * the instruction line and the "- ..." note lines that follow the tag, and keep what comes after.
 */
function afterBlockLines(text: string, from: number): number {
  let i = from;
  let first = true;
  while (i < text.length) {
    const end = text.indexOf('\n', i);
    const lineEnd = end === -1 ? text.length : end;
    const line = text.slice(i, lineEnd).trim();
    const ours = line.startsWith('- ') || (first && line === MEMORY_INSTRUCTION);
    if (!ours) break;
    first = false;
    i = end === -1 ? text.length : end + 1;
  }
  return i;
}

/** `text` without fenced memory blocks (unchanged, the same string, when it has none). */
export function stripInjected(text: string): string {
  if (!MARKER.test(text)) return text;
  let out = '';
  let position = 0;
  // Once a close tag is missing after one open tag, it is missing after every later one too.
  let closeMayFollow = true;
  for (;;) {
    OPEN_TAG.lastIndex = position;
    const open = OPEN_TAG.exec(text);
    if (!open) break;
    out += text.slice(position, open.index);
    const afterOpen = open.index + open[0].length;
    CLOSE_TAG.lastIndex = afterOpen;
    const close = closeMayFollow ? CLOSE_TAG.exec(text) : null;
    if (close) {
      position = afterTrailingSpace(text, close.index + close[0].length);
    } else {
      closeMayFollow = false;
      position = afterBlockLines(text, afterTrailingSpace(text, afterOpen));
    }
  }
  out += text.slice(position);
  return out.replace(CLOSE_TAG, '').replace(EXTRA_BLANK_LINES, '\n\n');
}
