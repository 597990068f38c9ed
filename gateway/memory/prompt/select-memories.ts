// Which retrieved memories go into the prompt (research §5 idea 3, the memory budget): the best
// first, no note twice, at most topK of them, and the whole block within tokenBudget.
import { normaliseForComparison } from '../text/normalise-text.ts';
import { BLOCK_OVERHEAD_CHARS, lineChars } from './memory-block.ts';
import type { MemoryHit } from './memory-hit.ts';
import { tokensForChars } from './token-estimate.ts';

export interface SelectOptions {
  /** Most tokens the injected block may take, tags and instruction included (estimated as in token-estimate.ts). */
  tokenBudget: number;
  /** Most memories kept. */
  topK: number;
}

export interface Selection<T> {
  /** Kept hits, best score first. */
  memories: T[];
  /** Estimated tokens of the block holding them; 0 when none are kept (nothing is injected). */
  tokens: number;
}

/** At equal scores a fact goes first: it says in one line what the turn it came from says in many. */
function factFirst(hit: MemoryHit): number {
  return hit.kind === 'fact' ? 0 : 1;
}

/**
 * Highest score first (ties: facts first, then input order). A hit whose content hash or comparison form
 * (lowercase, punctuation and spacing ignored) was already kept is a duplicate and dropped; so is a
 * blank one. A hit that would overflow the budget is skipped and shorter ones after it may still
 * fit: a long chunk should not crowd out three short facts.
 */
export function selectMemories<T extends MemoryHit>(hits: readonly T[], options: SelectOptions): Selection<T> {
  const ranked = hits
    .map((hit, order) => ({ hit, order }))
    .sort((a, b) => b.hit.score - a.hit.score || factFirst(a.hit) - factFirst(b.hit) || a.order - b.order);
  const seenHashes = new Set<string>();
  const seenTexts = new Set<string>();
  const memories: T[] = [];
  let chars = BLOCK_OVERHEAD_CHARS;
  for (const { hit } of ranked) {
    if (memories.length >= options.topK) break;
    const comparable = normaliseForComparison(hit.text);
    const duplicate = comparable === '' || seenTexts.has(comparable) || (hit.contentHash !== undefined && seenHashes.has(hit.contentHash));
    if (duplicate) continue;
    const added = lineChars(hit);
    if (tokensForChars(chars + added) > options.tokenBudget) continue;
    memories.push(hit);
    chars += added;
    seenTexts.add(comparable);
    if (hit.contentHash !== undefined) seenHashes.add(hit.contentHash);
  }
  return { memories, tokens: memories.length === 0 ? 0 : tokensForChars(chars) };
}
