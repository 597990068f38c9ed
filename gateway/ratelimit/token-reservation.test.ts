import { describe, expect, it } from 'vitest';
import { limitRequest, reservedTokens } from './token-reservation.ts';

const chat = { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(400) }] };

describe('reservedTokens', () => {
  it('reserves the prompt estimate plus the asked max_tokens, capped by the tier', () => {
    const prompt = Math.ceil(JSON.stringify(chat.messages).length / 4);
    expect(reservedTokens({ path: '/chat/completions', body: { ...chat, max_tokens: 50 } }, 1000)).toBe(prompt + 50);
    expect(reservedTokens({ path: '/chat/completions', body: { ...chat, max_completion_tokens: 5000 } }, 1000)).toBe(prompt + 1000);
    expect(reservedTokens({ path: '/chat/completions', body: chat }, 1000)).toBe(prompt + 1000);
    expect(reservedTokens({ path: '/chat/completions', body: { ...chat, max_tokens: 50, n: 3 } }, 1000)).toBe(prompt + 150);
  });

  it('reads the Responses and Messages dialects', () => {
    expect(reservedTokens({ path: '/responses', body: { model: 'm', input: 'abcd'.repeat(10), max_output_tokens: 7 } })).toBe(10 + 7);
    expect(reservedTokens({ path: '/messages', body: { model: 'm', system: 'abcd', messages: [], max_tokens: 9 } })).toBe(1 + 1 + 9);
  });

  it('adds what the gateway may inject into the prompt (the memory budget), except for embeddings', () => {
    const prompt = Math.ceil(JSON.stringify(chat.messages).length / 4);
    expect(reservedTokens({ path: '/chat/completions', body: { ...chat, max_tokens: 50 } }, 1000, 300)).toBe(prompt + 300 + 50);
    expect(reservedTokens({ path: '/embeddings', body: { input: 'abcd' } }, 1000, 300)).toBe(1);
  });

  it('reserves no output for embeddings and nothing for token counting', () => {
    expect(reservedTokens({ path: '/embeddings', body: { model: 'm', input: 'abcd'.repeat(3) } })).toBe(3);
    expect(reservedTokens({ path: '/messages/count_tokens', body: chat })).toBe(0);
  });
});

describe('limitRequest', () => {
  it('sends a requests-only check for a tier without token limits', () => {
    expect(
      limitRequest(
        { keyId: 'k', userId: 'u', limits: { requestsPerMinute: 1, requestsPerDay: 2 } },
        { path: '/chat/completions', body: chat },
      ),
    ).toEqual({ keyId: 'k', userId: 'u', perMinute: 1, perDay: 2 });
  });

  it('adds the token limits and the reservation sized by the tier cap', () => {
    const limits = { requestsPerMinute: 1, requestsPerDay: 2, tokensPerDay: 10_000, maxOutputTokens: 10 };
    expect(limitRequest({ userId: 'u', limits }, { path: '/responses', body: { input: 'abcd' } })).toEqual({
      keyId: 'u',
      userId: 'u',
      perMinute: 1,
      perDay: 2,
      tokensPerDay: 10_000,
      reserveTokens: 1 + 10,
    });
  });
});
