import { describe, expect, it } from 'vitest';
import { checkLabel, labelProblem } from './text-field.ts';

describe('labelProblem', () => {
  it('accepts ordinary labels, Unicode included', () => {
    expect(labelProblem('ci key', 100)).toBeUndefined();
    expect(labelProblem('clé de production ✓', 100)).toBeUndefined();
    expect(labelProblem('', 100)).toBeUndefined();
  });

  it('refuses NUL, newlines and other control characters', () => {
    for (const bad of ['a\u0000b', 'a\nb', 'a\tb', 'a\u001bb', 'a\u0085b']) expect(labelProblem(bad, 100)).toMatch(/control characters/);
  });

  it('refuses unpaired surrogates and overlong labels, saying the length', () => {
    expect(labelProblem('a\ud800b', 100)).toMatch(/well-formed/);
    expect(labelProblem('x'.repeat(101), 100)).toBe('must be at most 100 characters (got 101)');
  });
});

describe('checkLabel', () => {
  it('throws a 400 naming the field, without echoing the value', () => {
    expect(() => checkLabel('x'.repeat(1_000_000), 'email', 254)).toThrow(
      expect.objectContaining({ status: 400, param: 'email', message: '"email" must be at most 254 characters (got 1000000).' }),
    );
    expect(() => checkLabel(42, 'name', 100)).toThrow(expect.objectContaining({ status: 400, param: 'name' }));
    expect(checkLabel('ok', 'name', 100)).toBe('ok');
  });
});
