// The text of the injected system message:
//
//   <perpetual-memory>
//   Notes from earlier conversations with this user, ... (MEMORY_INSTRUCTION)
//   - [2026-03-02] user: My sister's name is Priya.
//   - [2026-03-05] assistant: Peanut-free recipes: ...
//   - [2026-03-06] fact: The user moved to Porto in February 2026.
//   </perpetual-memory>
//
// A fact (memory/facts/) is written in the third person and names its speaker, so its line says
// "fact" where a turn's says who spoke.
//
// One memory per line, so a memory's own line breaks become spaces. selectMemories() counts the
// block's size with the same functions, so its token count is exactly the estimate of this text.
import type { InjectableMemory } from './memory-hit.ts';
import { MEMORY_CLOSE, MEMORY_INSTRUCTION, MEMORY_OPEN, withoutFenceTags } from './memory-fence.ts';

const WHITESPACE = /\s+/g;

function isoDate(value: InjectableMemory['createdAt']): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  const time = date.getTime();
  return Number.isNaN(time) ? undefined : date.toISOString().slice(0, 10);
}

/** One memory's line, without the trailing newline. */
export function formatMemoryLine(memory: InjectableMemory): string {
  const date = isoDate(memory.createdAt);
  const text = withoutFenceTags(memory.text).replace(WHITESPACE, ' ').trim();
  const who = memory.kind === 'fact' ? 'fact' : memory.role;
  return `- ${date ? `[${date}] ` : ''}${who ? `${who}: ` : ''}${text}`;
}

/** Characters of the block around the lines: both tags, the instruction and their line breaks. */
export const BLOCK_OVERHEAD_CHARS = MEMORY_OPEN.length + 1 + MEMORY_INSTRUCTION.length + 1 + MEMORY_CLOSE.length;

/** Characters one line adds to the block (the line and its line break). */
export function lineChars(memory: InjectableMemory): number {
  return formatMemoryLine(memory).length + 1;
}

export function formatMemoryBlock(memories: readonly InjectableMemory[]): string {
  const lines = memories.map((m) => formatMemoryLine(m) + '\n').join('');
  return `${MEMORY_OPEN}\n${MEMORY_INSTRUCTION}\n${lines}${MEMORY_CLOSE}`;
}
