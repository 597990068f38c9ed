import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.ts';
import { promptPrefixText } from '../routing/prefix-blocks.ts';
import { MAX_PROMPTS } from '../protocols/openai/request-schemas.ts';
import { completionsUnsupported, routingPrompt, validateCompletionRequest } from './completions.ts';

describe('validateCompletionRequest', () => {
  function refusal(body: unknown): GatewayError {
    try {
      validateCompletionRequest(body);
    } catch (err) {
      if (err instanceof GatewayError) return err;
      throw err;
    }
    throw new Error('accepted');
  }

  it('passes a valid request through untouched, unknown fields included', () => {
    const body = { model: 'coder', prompt: 'x', suffix: 'y', echo: false, best_of: 2 };
    expect(validateCompletionRequest(body)).toBe(body);
  });

  it('names the parameter at fault, saying what it must be', () => {
    expect(refusal({ model: 'coder' })).toMatchObject({
      status: 400,
      param: 'prompt',
      code: 'missing_prompt',
      message: expect.stringContaining('a string, an array of 1 to 2048 strings') as string,
    });
    expect(refusal({ model: 'coder', prompt: { x: 1 } })).toMatchObject({ param: 'prompt', code: 'invalid_prompt' });
    expect(refusal({ prompt: 'x' })).toMatchObject({ param: 'model', code: 'missing_model' });
    expect(refusal({ model: 'coder', prompt: 'x', stream: 'yes' })).toMatchObject({ param: 'stream' });
    expect(refusal({ model: 'coder', prompt: 'x', max_tokens: 0 })).toMatchObject({ param: 'max_tokens' });
    expect(refusal(['not', 'an', 'object'])).toMatchObject({ code: 'invalid_body' });
  });
});

describe('completionsUnsupported', () => {
  it('is a 400 on the model that says where to send the request instead', () => {
    const err = completionsUnsupported({ kind: 'anthropic', providerName: 'anthropic' });
    expect(err).toMatchObject({ status: 400, code: 'completions_not_supported', param: 'model' });
    expect(err.message).toContain('/v1/chat/completions');
  });
});

describe('routingPrompt', () => {
  it('gives prefix routing the text of a prompt, or of each prompt of a list in order', () => {
    expect(routingPrompt('def fib(n):')).toEqual({ messages: [{ role: 'prompt', content: 'def fib(n):' }] });
    expect(routingPrompt(['# header', 'def f():'])).toEqual({
      messages: [
        { role: 'prompt', content: '# header' },
        { role: 'prompt', content: 'def f():' },
      ],
    });
  });

  it('keeps a shared leading text a shared prefix, whatever follows it', () => {
    const header = 'import numpy as np\n'.repeat(20);
    const a = promptPrefixText(routingPrompt(`${header}def a():`)!);
    const b = promptPrefixText(routingPrompt(`${header}def b():`)!);
    expect(a.slice(0, header.length)).toBe(b.slice(0, header.length));
  });

  it('reads no token ids: the gateway hashes text', () => {
    expect(routingPrompt([15339, 1917])).toBeUndefined();
    expect(routingPrompt([[1], [2, 3]])).toBeUndefined();
  });
});

describe('the prompt shapes validateCompletionRequest takes', () => {
  it.each([
    ['text', 'def fib(n):'],
    ['empty text (a completion from nothing)', ''],
    ['texts', ['a', 'b']],
    ['token ids', [15339, 1917]],
    ['lists of token ids', [[1], [2, 3]]],
    ['the most prompts', Array.from({ length: MAX_PROMPTS }, () => 'x')],
  ])('accepts %s', (_what, prompt) => {
    const body = { model: 'm', prompt };
    expect(validateCompletionRequest(body)).toBe(body);
  });

  it.each([
    ['nothing', undefined],
    ['null', null],
    ['a number', 7],
    ['an object', { text: 'x' }],
    ['an empty list', []],
    ['a mix of text and ids', ['x', 1]],
    ['a fractional or negative id', [1.5]],
    ['a negative id', [-1]],
    ['an empty list of ids', [[]]],
    ['too many prompts', Array.from({ length: MAX_PROMPTS + 1 }, () => 'x')],
  ])('refuses %s', (_what, prompt) => {
    expect(() => validateCompletionRequest({ model: 'm', prompt })).toThrow(GatewayError);
  });
});
