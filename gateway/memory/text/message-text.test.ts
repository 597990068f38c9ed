import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../protocols/openai/types.ts';
import { contentText } from './message-text.ts';

describe('contentText', () => {
  it.each<[ChatMessage['content'], string]>([
    ['plain', 'plain'],
    [
      [
        { type: 'text', text: 'one' },
        { type: 'image_url', image_url: { url: 'data:x' } },
        { type: 'text', text: 'two' },
      ],
      'one\ntwo',
    ],
    [[{ type: 'refusal', refusal: 'no' }], ''],
    [null, ''],
    [undefined, ''],
    [[], ''],
  ])('%j -> %j', (content, expected) => {
    expect(contentText(content)).toBe(expected);
  });
});
