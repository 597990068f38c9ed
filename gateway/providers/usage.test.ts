import { describe, expect, it } from 'vitest';
import { estimateEmbeddingTokens, estimatePromptTokens, estimateTokens, reconcileUsage } from './usage.ts';

describe('token estimate', () => {
  it('is about four characters per token, rounded up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
  });

  it('counts message text, per-message overhead, reply priming, images, tool calls and tools', () => {
    const tokens = estimatePromptTokens({
      messages: [
        { role: 'system', content: 'abcdefgh' }, // 4 + 2
        {
          role: 'user',
          content: [
            { type: 'text', text: 'abcd' },
            { type: 'image_url', image_url: { url: 'https://x/y.png' } },
          ],
        }, // 4 + 1 + 85
        { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'ab', arguments: '{}' } }] }, // 4 + 1
      ],
    });
    expect(tokens).toBe(3 + 6 + 90 + 5);
  });

  it('counts embedding inputs given as text or token ids', () => {
    expect(estimateEmbeddingTokens({ input: ['abcd', 'abcdefgh'] })).toBe(3);
    expect(estimateEmbeddingTokens({ input: [1, 2, 3] })).toBe(3);
    expect(estimateEmbeddingTokens({ input: [[1, 2], [3]] })).toBe(3);
  });
});

describe('reconcileUsage', () => {
  const estimate = { promptTokens: 40, completionTokens: 10 };

  it('trusts complete upstream usage', () => {
    expect(
      reconcileUsage({ prompt_tokens: 42, completion_tokens: 9, total_tokens: 51, prompt_tokens_details: { cached_tokens: 2 } }, estimate),
    ).toEqual({
      usage: { prompt_tokens: 42, completion_tokens: 9, total_tokens: 51, prompt_tokens_details: { cached_tokens: 2 } },
      usageEstimated: false,
    });
  });

  it('estimates and flags missing usage', () => {
    expect(reconcileUsage(undefined, estimate)).toEqual({
      usage: { prompt_tokens: 40, completion_tokens: 10, total_tokens: 50 },
      usageEstimated: true,
    });
  });

  it('treats zero prompt tokens for a non-empty prompt as missing (the classic streaming bug)', () => {
    expect(reconcileUsage({ prompt_tokens: 0, completion_tokens: 9 }, estimate)).toEqual({
      usage: { prompt_tokens: 40, completion_tokens: 9, total_tokens: 49 },
      usageEstimated: true,
    });
  });
});
