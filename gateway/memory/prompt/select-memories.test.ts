import { describe, expect, it } from 'vitest';
import { contentHash } from '../text/content-hash.ts';
import { BLOCK_OVERHEAD_CHARS, formatMemoryBlock, lineChars } from './memory-block.ts';
import type { MemoryHit } from './memory-hit.ts';
import { selectMemories } from './select-memories.ts';
import { estimateTokens, tokensForChars } from './token-estimate.ts';

const hit = (text: string, score: number, extra: Partial<MemoryHit> = {}): MemoryHit => ({ text, score, ...extra });
const texts = (hits: readonly MemoryHit[]): string[] => hits.map((h) => h.text);
const roomy = { tokenBudget: 10_000, topK: 10 };

describe('selectMemories', () => {
  it('keeps the best first, ties in input order', () => {
    const { memories } = selectMemories([hit('low', 0.1), hit('high', 0.9), hit('tie-a', 0.5), hit('tie-b', 0.5)], roomy);
    expect(texts(memories)).toEqual(['high', 'tie-a', 'tie-b', 'low']);
  });

  it('drops duplicates by content hash and by near-identical text, and blank ones', () => {
    const hits = [
      hit("I'm allergic to peanuts.", 0.9),
      hit('i m ALLERGIC to peanuts', 0.8),
      hit('different words, same hash', 0.7, { contentHash: 'h1' }),
      hit('other words, same hash', 0.6, { contentHash: 'h1' }),
      hit(' \n ', 0.5),
      hit('?!', 0.45),
      hit('I moved to Lisbon.', 0.4, { contentHash: contentHash('I moved to Lisbon.') }),
    ];
    expect(texts(selectMemories(hits, roomy).memories)).toEqual([
      "I'm allergic to peanuts.",
      'different words, same hash',
      'I moved to Lisbon.',
    ]);
  });

  it('stops at topK', () => {
    const hits = [hit('a', 3), hit('b', 2), hit('c', 1)];
    expect(texts(selectMemories(hits, { tokenBudget: 10_000, topK: 2 }).memories)).toEqual(['a', 'b']);
    expect(selectMemories(hits, { tokenBudget: 10_000, topK: 0 })).toEqual({ memories: [], tokens: 0 });
  });

  it('fits the whole block in the budget, skipping a long memory for shorter ones after it', () => {
    const short1 = hit('short fact one', 0.9);
    const long = hit('long '.repeat(200), 0.8);
    const short2 = hit('short fact two', 0.7);
    const budget = tokensForChars(BLOCK_OVERHEAD_CHARS + lineChars(short1) + lineChars(short2));
    const { memories, tokens } = selectMemories([short1, long, short2], { tokenBudget: budget, topK: 10 });
    expect(texts(memories)).toEqual(['short fact one', 'short fact two']);
    expect(tokens).toBeLessThanOrEqual(budget);
  });

  it('reports exactly the estimate of the block it selected', () => {
    const hits = [hit('a fact', 0.9, { createdAt: Date.UTC(2026, 0, 1), role: 'user' }), hit('another fact\nover two lines', 0.8)];
    const { memories, tokens } = selectMemories(hits, roomy);
    expect(tokens).toBe(estimateTokens(formatMemoryBlock(memories)));
  });

  it('selects nothing when not even the frame fits', () => {
    expect(selectMemories([hit('x', 1)], { tokenBudget: 0, topK: 5 })).toEqual({ memories: [], tokens: 0 });
    expect(selectMemories([hit('x', 1)], { tokenBudget: tokensForChars(BLOCK_OVERHEAD_CHARS), topK: 5 }).memories).toEqual([]);
    expect(selectMemories([], roomy)).toEqual({ memories: [], tokens: 0 });
  });

  it("hands back the caller's objects and leaves the input alone", () => {
    interface StoreHit extends MemoryHit {
      id: string;
    }
    const hits: readonly StoreHit[] = Object.freeze([
      { id: 'p2', text: 'two', score: 0.2 },
      { id: 'p1', text: 'one', score: 0.9 },
    ]);
    const { memories } = selectMemories(hits, roomy);
    expect(memories.map((m) => m.id)).toEqual(['p1', 'p2']);
    expect(memories[0]).toBe(hits[1]);
    expect(hits.map((h) => h.id)).toEqual(['p2', 'p1']);
  });
});
