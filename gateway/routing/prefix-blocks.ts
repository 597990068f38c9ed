// The prompt's prefix as a chain of block hashes, for prefix-aware routing (prefix-affinity.ts).
//
// vLLM caches a prompt's KV in fixed-size token blocks and reuses them when a later prompt starts
// with the same tokens. The gateway has no tokenizer, so it approximates (as llm-d's approximate
// prefix scorer does): the prompt's leading text (tools, then each message's role and text, in
// order) cut into fixed-size character blocks, each hashed together with the hash of the block
// before it. Block i's hash therefore stands for the whole text up to the end of block i: two
// prompts share their first k block hashes exactly when they share their first k blocks of text,
// and a replica known to hold block k holds blocks 0..k-1 too.
//
// Blocks, not messages: the memory block is appended to the application's system message
// (memory/prompt/inject-memories.ts), and whole-message hashing would make every such request a
// miss, while character blocks keep the shared system prompt's leading blocks identical. Only whole
// blocks count (vLLM caches only full blocks), and only the first MAX_BLOCKS: a long conversation
// is told apart long before that, and hashing stays a bounded cost per request.
import { fmix32, fnv1a } from '../hashing/fnv1a.ts';

/** Characters per block: about 32 tokens of English, a couple of vLLM's 16-token blocks. */
export const BLOCK_CHARS = 128;
/** Blocks hashed at most (about 8k tokens of prompt). */
export const MAX_BLOCKS = 256;

/** The part of a chat request prefix routing reads: tools and messages, in the order the chat template renders them. */
export interface PromptParts {
  tools?: readonly unknown[] | undefined;
  messages: readonly { role: string; content?: unknown }[];
}

/** A message's text: a string as is, text parts joined, other parts (images, files) as their JSON. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === undefined || content === null ? '' : JSON.stringify(content);
  return content
    .map((part: unknown) =>
      typeof part === 'object' && part !== null && 'text' in part && typeof part.text === 'string' ? part.text : JSON.stringify(part),
    )
    .join('');
}

/**
 * The prompt's leading text, at most `maxChars` long: tools first (chat templates render them into
 * the system turn), then every message as role and text, separated by characters no text uses.
 */
export function promptPrefixText(prompt: PromptParts, maxChars: number = BLOCK_CHARS * MAX_BLOCKS): string {
  let text = prompt.tools && prompt.tools.length > 0 ? `\u0000tools\u0001${JSON.stringify(prompt.tools)}` : '';
  for (const message of prompt.messages) {
    if (text.length >= maxChars) break;
    text += `\u0000${message.role}\u0001${contentText(message.content)}`;
  }
  return text.slice(0, maxChars);
}

/**
 * The chained hashes of the text's whole blocks. `seed` separates models (and adapters): the same
 * text sent to two models shares no cache. Each hash is 52 bits from two independent 32-bit FNV
 * chains, so two different prefixes practically never share one.
 */
export function prefixBlocks(text: string, seed: string, blockChars: number = BLOCK_CHARS): number[] {
  const blocks: number[] = [];
  let high = fnv1a(seed);
  let low = fnv1a(seed, 0x9747b28c);
  const whole = Math.min(Math.floor(text.length / blockChars), MAX_BLOCKS);
  for (let i = 0; i < whole; i++) {
    const block = text.slice(i * blockChars, (i + 1) * blockChars);
    high = fmix32(fnv1a(block, high));
    low = fmix32(fnv1a(block, low));
    blocks.push(high * 0x100000 + (low & 0xfffff));
  }
  return blocks;
}
