import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../protocols/openai/types.ts';
import { formatMemoryBlock } from '../prompt/memory-block.ts';
import { injectMemories } from '../prompt/inject-memories.ts';
import { contentHash } from './content-hash.ts';
import { DEFAULT_STORE_OPTIONS, turnsToStore } from './turns-to-store.ts';

const system: ChatMessage = { role: 'system', content: 'You are helpful.' };
const user = (content: ChatMessage['content']): ChatMessage => ({ role: 'user', content }) as ChatMessage;
const block = formatMemoryBlock([{ text: "My sister's name is Priya.", createdAt: Date.UTC(2026, 0, 2), role: 'user' }]);

describe('turnsToStore', () => {
  it('stores the latest user turn and the reply, trimmed, with hashes', () => {
    const records = turnsToStore(
      [system, user('old question'), { role: 'assistant', content: 'old answer' }, user('  I moved to Lisbon.  ')],
      ' Lovely city! ',
    );
    expect(records).toEqual([
      {
        role: 'user',
        text: 'I moved to Lisbon.',
        chunkIndex: 0,
        chunkCount: 1,
        contentHash: contentHash('I moved to Lisbon.'),
        truncated: false,
      },
      { role: 'assistant', text: 'Lovely city!', chunkIndex: 0, chunkCount: 1, contentHash: contentHash('Lovely city!'), truncated: false },
    ]);
  });

  it('never stores injected memories: not from the system message, an echoing client or the reply', () => {
    const injected = injectMemories([system, user(`${block}\nWhat is my sister called?`)], [{ text: "My sister's name is Priya." }]);
    const records = turnsToStore(injected, `Based on:\n${block}\nYour sister is Priya.`);
    expect(records.map((r) => r.text)).toEqual(['What is my sister called?', 'Based on:\nYour sister is Priya.']);
    for (const r of records) expect(r.text).not.toMatch(/perpetual-memory|2026-01-02/);
  });

  it('takes the text parts of the user turn', () => {
    const records = turnsToStore(
      [
        user([
          { type: 'text', text: 'Look at' },
          { type: 'image_url', image_url: { url: 'data:x' } },
          { type: 'text', text: 'my cat.' },
        ]),
      ],
      'Cute!',
    );
    expect(records[0]?.text).toBe('Look at\nmy cat.');
  });

  it.each<[string, ChatMessage[], string, string[]]>([
    ['an empty reply (tool calls only)', [user('Book a table.')], '   ', ['user']],
    ['a blank user turn', [user('  ')], 'Hello?', ['assistant']],
    ['a reply that was only an echoed block', [user('Hi there.')], block, ['user']],
    [
      'a tool continuation: the user turn was stored the first time round',
      [
        user('Weather in Lisbon?'),
        { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'weather', arguments: '{}' } }] },
        { role: 'tool', content: '21C', tool_call_id: 't' },
      ],
      'It is 21°C.',
      ['assistant'],
    ],
    ['nothing at all', [], '', []],
  ])('skips %s', (_name, messages, reply, roles) => {
    expect(turnsToStore(messages, reply).map((r) => r.role)).toEqual(roles);
  });

  it('chunks long turns with their index and count', () => {
    const long = Array.from({ length: 200 }, (_, i) => `Fact ${i} is worth remembering.`).join(' ');
    const records = turnsToStore([user(long)], 'ok', { maxChars: 500, overlapChars: 50 });
    const chunks = records.filter((r) => r.role === 'user');
    expect(chunks.length).toBeGreaterThan(10);
    chunks.forEach((r, i) => {
      expect(r).toMatchObject({ chunkIndex: i, chunkCount: chunks.length, truncated: false });
      expect(r.text.length).toBeLessThanOrEqual(500);
      expect(r.contentHash).toBe(contentHash(r.text));
    });
  });

  it('cuts a turn over the hard cap to the cap and flags it, rather than dropping it', () => {
    const huge = 'word '.repeat(10_000); // 50,000 characters
    const records = turnsToStore([user(huge)], '', { maxTurnChars: 10_000 });
    expect(records.length).toBeGreaterThan(1);
    for (const r of records) expect(r.truncated).toBe(true);
    const kept = records.reduce((sum, r) => sum + r.text.length, 0);
    expect(kept).toBeGreaterThan(9_000);
    expect(kept).toBeLessThan(12_000);
    expect(DEFAULT_STORE_OPTIONS.maxTurnChars).toBe(32 * 1024);
  });

  it('does not leave half a surrogate pair at the cap', () => {
    const records = turnsToStore([user('😀'.repeat(10))], '', { maxTurnChars: 5, maxChars: 100, overlapChars: 0 });
    expect(records[0]?.text).toBe('😀😀');
  });
});
