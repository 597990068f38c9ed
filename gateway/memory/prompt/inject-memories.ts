// Puts the selected memories into the request, after the application's static instructions
// (research §5 idea 2, prompt-cache-aware injection): appended to the last of the leading
// system/developer messages, or as a new system message first when there is none.
//
// Why after: OpenAI and Anthropic cache prompts by exact prefix. The application's own system
// prompt is the same on every request, so keeping its text byte-identical and first keeps it
// cached; putting memories in front of it would make every request a cache miss. The trade-off,
// documented rather than hidden: the memory block differs from turn to turn, so what follows it
// is re-read uncached whenever the memories change.
//
// Why appended rather than a second system message: many open models' chat templates (served by
// vLLM in local mode) accept one system message at the start and refuse a second. Anthropic's
// translation hoists system text into `system` either way.
import type { ChatMessage, SystemMessage } from '../../protocols/openai/types.ts';
import { formatMemoryBlock } from './memory-block.ts';
import type { InjectableMemory } from './memory-hit.ts';

/** Index of the first message after the leading system/developer messages. */
export function injectionIndex(messages: readonly ChatMessage[]): number {
  const index = messages.findIndex((m) => m.role !== 'system' && m.role !== 'developer');
  return index === -1 ? messages.length : index;
}

function appended(message: ChatMessage, block: string): ChatMessage {
  const content = message.content;
  if (typeof content === 'string') return { ...message, content: `${content}\n\n${block}` };
  if (Array.isArray(content)) return { ...message, content: [...content, { type: 'text', text: `\n\n${block}` }] } as ChatMessage;
  return { ...message, content: block };
}

/** A new array with the memories added; the caller's array and messages are not modified. */
export function injectMemories(messages: readonly ChatMessage[], memories: readonly InjectableMemory[]): ChatMessage[] {
  return memories.length === 0 ? [...messages] : injectMemoryBlock(messages, formatMemoryBlock(memories));
}

/** injectMemories with the block already formatted (the Responses pass-through places the same block in its input). */
export function injectMemoryBlock(messages: readonly ChatMessage[], block: string): ChatMessage[] {
  const at = injectionIndex(messages);
  const last = messages[at - 1];
  if (last) return [...messages.slice(0, at - 1), appended(last, block), ...messages.slice(at)];
  const memoryMessage: SystemMessage = { role: 'system', content: block };
  return [memoryMessage, ...messages];
}
