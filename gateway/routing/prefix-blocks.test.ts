import { describe, expect, it } from 'vitest';
import { BLOCK_CHARS, MAX_BLOCKS, prefixBlocks, promptPrefixText } from './prefix-blocks.ts';

const SYSTEM = 'You are a support agent for Example Corp. '.repeat(20); // 840 characters: 6 whole blocks and more
const chat = (system: string, user: string) => ({
  messages: [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ],
});
const blocksOf = (prompt: Parameters<typeof promptPrefixText>[0], seed = 'm') => prefixBlocks(promptPrefixText(prompt), seed);

/** Leading blocks two chains share. */
function shared(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

describe('prefix blocks', () => {
  it('gives prompts that share a system prompt the same leading blocks, and different ones after', () => {
    const a = blocksOf(chat(SYSTEM, 'How do I reset my password? '.repeat(10)));
    const b = blocksOf(chat(SYSTEM, 'Where is my order? '.repeat(10)));
    const covered = Math.floor(SYSTEM.length / BLOCK_CHARS);
    expect(shared(a, b)).toBeGreaterThanOrEqual(covered);
    expect(shared(a, b)).toBeLessThan(Math.min(a.length, b.length));
  });

  it('chains: a difference in an early block changes every later hash', () => {
    const a = blocksOf(chat(SYSTEM, 'x'.repeat(1000)));
    const b = blocksOf(chat(`Z${SYSTEM.slice(1)}`, 'x'.repeat(1000)));
    expect(a.length).toBe(b.length);
    expect(shared(a, b)).toBe(0);
    for (let i = 0; i < a.length; i++) expect(a[i]).not.toBe(b[i]);
  });

  it('keeps the system prompt blocks when memories are appended to the system message', () => {
    const plain = blocksOf(chat(SYSTEM, 'hello'));
    const withMemories = blocksOf(chat(`${SYSTEM}\n\n<memories>the user likes tea</memories>`, 'hello'));
    expect(shared(plain, withMemories)).toBeGreaterThanOrEqual(Math.floor(SYSTEM.length / BLOCK_CHARS));
  });

  it('separates models by the seed', () => {
    const prompt = chat(SYSTEM, 'hi');
    expect(shared(blocksOf(prompt, 'model-a'), blocksOf(prompt, 'model-b'))).toBe(0);
  });

  it('counts only whole blocks, at most MAX_BLOCKS', () => {
    expect(prefixBlocks('x'.repeat(BLOCK_CHARS - 1), 'm')).toEqual([]);
    expect(prefixBlocks('x'.repeat(BLOCK_CHARS * 2 + 5), 'm')).toHaveLength(2);
    expect(blocksOf(chat('z'.repeat(BLOCK_CHARS * (MAX_BLOCKS + 50)), 'q'))).toHaveLength(MAX_BLOCKS);
  });

  it('puts tools first and reads text parts, so a tools change is a different prefix', () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    const text = promptPrefixText({
      tools,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'part one' },
            { type: 'text', text: ' two' },
          ],
        },
      ],
    });
    expect(text.indexOf('lookup')).toBeLessThan(text.indexOf('part one two'));
    const withTools = blocksOf({ tools, messages: chat(SYSTEM, 'a').messages });
    expect(shared(withTools, blocksOf(chat(SYSTEM, 'a')))).toBe(0);
  });

  it('tells the role apart: the same text as system and as user is not the same prefix', () => {
    const asSystem = blocksOf({ messages: [{ role: 'system', content: SYSTEM }] });
    const asUser = blocksOf({ messages: [{ role: 'user', content: SYSTEM }] });
    expect(shared(asSystem, asUser)).toBe(0);
  });

  it('stops reading messages once the text is long enough', () => {
    const long = { messages: Array.from({ length: 1000 }, (_, i) => ({ role: 'user', content: `message ${String(i)} `.repeat(20) })) };
    expect(promptPrefixText(long).length).toBe(BLOCK_CHARS * MAX_BLOCKS);
  });
});
