import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../protocols/openai/types.ts';
import { formatMemoryBlock } from './memory-block.ts';
import { CONTEXT_CHARS, MAX_QUERY_CHARS, queryFromMessages } from './query-from-messages.ts';

const sys = (content: string): ChatMessage => ({ role: 'system', content });
const u = (content: ChatMessage['content']): ChatMessage => ({ role: 'user', content }) as ChatMessage;
const a = (content: string): ChatMessage => ({ role: 'assistant', content });
const tool = (content: string): ChatMessage => ({ role: 'tool', content, tool_call_id: 't1' });

describe('queryFromMessages', () => {
  it.each<[string, ChatMessage[], string]>([
    [
      'the latest user turn alone',
      [sys('Be brief.'), u('I moved last year.'), a('Nice!'), u('Where do I live these days?')],
      'Where do I live these days?',
    ],
    [
      'its text parts, not images',
      [
        u([
          { type: 'text', text: 'What is in this photo of' },
          { type: 'image_url', image_url: { url: 'data:x' } },
          { type: 'text', text: 'my garden?' },
        ]),
      ],
      'What is in this photo of\nmy garden?',
    ],
    [
      'the user turn before a tool result',
      [u('What is the weather in Lisbon today?'), a('calling'), tool('{"temp": 21}')],
      'What is the weather in Lisbon today?',
    ],
    ['trimmed', [u('   What is my sister called?  \n')], 'What is my sister called?'],
    ['nothing without a user turn', [sys('Be brief.'), a('Hello!')], ''],
    ['nothing for an empty user turn', [u('Earlier question here please.'), u('   ')], ''],
    ['nothing for an image-only turn', [u([{ type: 'image_url', image_url: { url: 'data:x' } }])], ''],
    [
      'a short turn with the end of the previous message',
      [u('Tell me about my sister Priya.'), a('Priya is your younger sister.'), u('and her age?')],
      'Priya is your younger sister.\nand her age?',
    ],
    ['a short turn first in the conversation, alone', [sys('Be brief.'), u('why?')], 'why?'],
    ['a four-word turn alone', [a('Earlier reply.'), u('What about my brother?')], 'What about my brother?'],
  ])('%s', (_name, messages, expected) => {
    expect(queryFromMessages(messages)).toBe(expected);
  });

  it('takes at most CONTEXT_CHARS of the previous message, from a word boundary', () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    const query = queryFromMessages([a(long), u('yes please')]);
    const [context, turn] = query.split('\n');
    expect(turn).toBe('yes please');
    expect(context?.length).toBeLessThanOrEqual(CONTEXT_CHARS);
    expect(long.endsWith(context ?? 'x')).toBe(true);
    expect(context).toMatch(/^word\d+ /);
  });

  it('drops an echoed memory block from the query', () => {
    const echoed = `${formatMemoryBlock([{ text: 'My sister is Priya.' }])}\nWhat is my brother called?`;
    expect(queryFromMessages([u(echoed)])).toBe('What is my brother called?');
  });

  it('keeps the beginning and end of a huge turn', () => {
    const huge = 'A'.repeat(5000) + 'So what do you think?';
    const query = queryFromMessages([u(huge)]);
    expect(query.length).toBeLessThanOrEqual(MAX_QUERY_CHARS + 3);
    expect(query.startsWith('AAAA')).toBe(true);
    expect(query.endsWith('So what do you think?')).toBe(true);
  });
});
