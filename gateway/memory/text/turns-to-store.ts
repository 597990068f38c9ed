// What the cheap write path (research §5 idea 11) stores for one exchange: the user's latest turn
// and the assistant's reply, as raw text, one embedding each and no LLM call. Injected memory
// blocks are stripped first (context fencing: a memory must never be stored again from its own
// injection), texts are trimmed, blank ones skipped, and long ones chunked.
//
// The user turn is stored only when the request ends with it. A request ending in a tool result
// or an assistant message continues an exchange whose user turn was stored the first time round;
// storing it again would duplicate it once per tool call.
import type { ChatMessage } from '../../protocols/openai/types.ts';
import { stripInjected } from '../prompt/strip-injected.ts';
import { chunkText } from './chunk-text.ts';
import { contentHash } from './content-hash.ts';
import { contentText } from './message-text.ts';

export interface MemoryRecord {
  role: 'user' | 'assistant';
  text: string;
  /** Position of this chunk in its turn, from 0. */
  chunkIndex: number;
  chunkCount: number;
  contentHash: string;
  /** The turn was longer than maxTurnChars and only its beginning was kept: log and count it. */
  truncated: boolean;
}

export interface StoreOptions {
  /** Longest chunk. Default 1200 characters (about 300 tokens; a few fit the default 1000-token budget). */
  maxChars?: number;
  /** Repeated between consecutive chunks. Default 150. */
  overlapChars?: number;
  /** Hard cap per turn, 32 Ki characters: past it a turn is cut (and flagged), never dropped. */
  maxTurnChars?: number;
}

export const DEFAULT_STORE_OPTIONS: Readonly<Required<StoreOptions>> = { maxChars: 1200, overlapChars: 150, maxTurnChars: 32 * 1024 };

function cap(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  // Do not leave half a surrogate pair at the end.
  const end = text.charCodeAt(max - 1) >= 0xd800 && text.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
  return { text: text.slice(0, end), truncated: true };
}

function recordsFor(role: MemoryRecord['role'], raw: string, options: Required<StoreOptions>): MemoryRecord[] {
  const { text, truncated } = cap(stripInjected(raw).trim(), options.maxTurnChars);
  const chunks = chunkText(text, { maxChars: options.maxChars, overlapChars: options.overlapChars });
  return chunks.map((chunk, chunkIndex) => ({
    role,
    text: chunk,
    chunkIndex,
    chunkCount: chunks.length,
    contentHash: contentHash(chunk),
    truncated,
  }));
}

/** The records to store for one exchange, user turn first. */
export function turnsToStore(requestMessages: readonly ChatMessage[], responseText: string, options: StoreOptions = {}): MemoryRecord[] {
  const resolved = { ...DEFAULT_STORE_OPTIONS, ...options };
  const last = requestMessages.at(-1);
  const userText = last?.role === 'user' ? contentText(last.content) : '';
  return [...recordsFor('user', userText, resolved), ...recordsFor('assistant', responseText, resolved)];
}
