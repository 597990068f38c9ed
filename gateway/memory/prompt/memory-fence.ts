// The fence around injected memories ("context fencing", research §5 idea 5). Everything the
// gateway injects sits between these two tags, so it can be recognised and removed again before
// a turn is written back to memory: otherwise every echoed or quoted memory would be stored anew,
// retrieved again, and grow into a self-reinforcing loop.

export const MEMORY_OPEN = '<perpetual-memory>';
export const MEMORY_CLOSE = '</perpetual-memory>';

/** The one line of instruction at the top of the block. */
export const MEMORY_INSTRUCTION =
  'Notes from earlier conversations with this user, dated (older ones may be out of date). Use them when relevant; what the user says now takes precedence.';

/** Either tag, with any case, spacing or attributes a client or model might have produced. */
export const ANY_FENCE_TAG = /<\s*\/?\s*perpetual-memory\b[^<>]{0,200}>/gi;

/** Removes fence tags from text that goes inside the block, so a memory cannot close the fence early. */
export function withoutFenceTags(text: string): string {
  return text.replace(ANY_FENCE_TAG, '');
}
