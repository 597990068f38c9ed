import { describe, expect, it } from 'vitest';
import { CHARS_PER_TOKEN as USAGE_CHARS_PER_TOKEN } from '../../providers/usage.ts';
import { CHARS_PER_TOKEN, estimateTokens, tokensForChars } from './token-estimate.ts';

describe('token estimate', () => {
  it('uses the same characters per token as usage estimation', () => {
    expect(CHARS_PER_TOKEN).toBe(USAGE_CHARS_PER_TOKEN);
  });

  it.each([
    ['', 0],
    ['a', 1],
    ['abcd', 1],
    ['abcde', 2],
    ['x'.repeat(4000), 1000],
  ])('%j is %i tokens', (text, tokens) => {
    expect(estimateTokens(text)).toBe(tokens);
    expect(tokensForChars(text.length)).toBe(tokens);
  });
});
