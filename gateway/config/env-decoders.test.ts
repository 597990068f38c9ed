import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { decoderFor } from './env-decoders.ts';

describe('decoderFor', () => {
  it.each([
    ['an integer', Type.Integer(), '8000', 8000],
    ["an integer in Number's other spellings", Type.Integer(), '1e3', 1000],
    ['a fraction, for the check to refuse', Type.Integer(), '1.5', 1.5],
    ['text that is no number, unchanged', Type.Integer(), 'eighty', 'eighty'],
    ['a boolean word in any case', Type.Boolean(), 'Yes', true],
    ['a boolean digit', Type.Boolean(), '0', false],
    ['a word that is no boolean, unchanged', Type.Boolean(), 'maybe', 'maybe'],
    ['a choice in any case, spelt as the schema does', Type.Enum(['leastLoad', 'sessionAffinity']), 'SESSIONAFFINITY', 'sessionAffinity'],
    ['no choice, unchanged', Type.Enum(['kube', 'log']), 'keda', 'keda'],
    ['a list, blanks and empty items dropped', Type.Array(Type.String()), ' a, b ,,c,', ['a', 'b', 'c']],
    ['text', Type.String(), 'http://x', 'http://x'],
  ])('decodes %s', (_what, schema, text, value) => {
    expect(decoderFor(schema)(text)).toEqual(value);
  });
});
