import { describe, expect, it } from 'vitest';
import { capOutputTokens } from './output-cap.ts';

describe('capOutputTokens', () => {
  it('lowers every limit above the cap and keeps those below it', () => {
    const body = { model: 'm', max_tokens: 9000, max_completion_tokens: 100 };
    expect(capOutputTokens('/chat/completions', body, 500)).toBe(true);
    expect(body).toEqual({ model: 'm', max_tokens: 500, max_completion_tokens: 100 });
    const within = { max_output_tokens: 10 };
    expect(capOutputTokens('/responses', within, 500)).toBe(false);
    expect(within).toEqual({ max_output_tokens: 10 });
  });

  it("gives a request that names no limit the cap, in its endpoint's field", () => {
    const chat = { model: 'm' };
    capOutputTokens('/chat/completions', chat, 300);
    expect(chat).toEqual({ model: 'm', max_completion_tokens: 300 });
    const legacy = { prompt: 'x' };
    capOutputTokens('/completions', legacy, 300);
    expect(legacy).toEqual({ prompt: 'x', max_tokens: 300 });
    const responses = { input: 'x' };
    capOutputTokens('/responses', responses, 300);
    expect(responses).toEqual({ input: 'x', max_output_tokens: 300 });
  });

  it('changes nothing without a cap, for embeddings, or for a body that is not an object', () => {
    const body = { max_tokens: 9000 };
    expect(capOutputTokens('/chat/completions', body, undefined)).toBe(false);
    expect(body).toEqual({ max_tokens: 9000 });
    const embedding = { input: 'x' };
    expect(capOutputTokens('/embeddings', embedding, 10)).toBe(false);
    expect(embedding).toEqual({ input: 'x' });
    expect(capOutputTokens('/chat/completions', null, 10)).toBe(false);
  });
});
