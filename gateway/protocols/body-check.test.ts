import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../errors.ts';
import { bodyCheck, fieldPath } from './body-check.ts';
import { says, saysOn } from './schema-fields.ts';

const Schema = Type.Object({
  model: Type.String({ 'x-model-name': true }),
  items: Type.Array(
    Type.Object({
      role: Type.Enum(['a', 'b'], says('{param} must be a or b.', 'bad_role')),
      content: Type.Union(
        [Type.String(), Type.Array(Type.Object({ type: Type.String() }, says('{param}: a block.', 'bad_block')))],
        says('{param}: string or blocks.'),
      ),
    }),
    { minItems: 1, maxItems: 2, ...says('items: non-empty.', 'bad_items'), ...saysOn('maxItems', 'items: too many.', 'too_many') },
  ),
  kind: Type.Optional(Type.Literal('x', says('{param}: kind {value} is not supported.', 'unsupported', '{parent}'))),
  extra: Type.Optional(Type.Object({ n: Type.Integer() }, says('extra: an object of integers.', 'bad_extra'))),
});

function refusal(check: (body: unknown) => unknown, body: unknown): GatewayError {
  try {
    check(body);
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error('accepted');
}

const brackets = bodyCheck(Schema, { path: 'brackets', model: (problem) => `"model" ${problem.reason}` });
const dots = bodyCheck(Schema, { path: 'dots' });
const ok = { model: 'm', items: [{ role: 'a', content: 'hi' }] };

describe('bodyCheck', () => {
  it('returns the very body that fits', () => {
    expect(brackets(ok)).toBe(ok);
  });

  it.each([
    ['not an object', [], { message: 'The request body must be a JSON object.', code: 'invalid_body', param: undefined }],
    [
      'a bad role',
      { ...ok, items: [{ role: 'c', content: 'x' }] },
      { message: 'items[0].role must be a or b.', code: 'bad_role', param: 'items[0].role' },
    ],
    [
      'too many items',
      { ...ok, items: [ok.items[0], ok.items[0], ok.items[0]] },
      { message: 'items: too many.', code: 'too_many', param: 'items' },
    ],
    ['missing items', { model: 'm' }, { message: 'items: non-empty.', code: 'bad_items', param: 'items' }],
    [
      'a block without a type',
      { ...ok, items: [{ role: 'a', content: [{}] }] },
      { message: 'items[0].content[0]: a block.', code: 'bad_block', param: 'items[0].content[0]' },
    ],
    [
      'content of neither shape',
      { ...ok, items: [{ role: 'a', content: 5 }] },
      { message: 'items[0].content: string or blocks.', code: 'invalid_value', param: 'items[0].content' },
    ],
    [
      'a value under an annotated parent',
      { ...ok, extra: { n: 'x' } },
      { message: 'extra: an object of integers.', code: 'bad_extra', param: 'extra' },
    ],
    [
      'a placeholder for the value and the parent',
      { ...ok, kind: 'y' },
      { message: 'kind: kind "y" is not supported.', code: 'unsupported', param: '' },
    ],
  ])('refuses %s, naming the field', (_name, body, expected) => {
    const err = refusal(brackets, body);
    expect(err).toMatchObject({ status: 400, message: expected.message, code: expected.code });
    expect(err.param).toBe(expected.param || undefined);
  });

  it('words the model name with modelNameProblem', () => {
    expect(refusal(brackets, { ...ok, model: 5 })).toMatchObject({
      code: 'missing_model',
      param: 'model',
      message: '"model" is required: the name of the model to use.',
    });
  });

  it('reports the first problem in the order a reader checks: properties in schema order, items by index', () => {
    const body = {
      model: 'm',
      items: [
        { role: 'a', content: 'x' },
        { role: 'z', content: 5 },
      ],
      extra: 'no',
    };
    expect(refusal(brackets, body).param).toBe('items[1].role');
    expect(refusal(dots, { items: [{ role: 'z' }] }).param).toBe('model');
  });

  it('names the failing item of a long list by its own index (only that item is described)', () => {
    const Long = Type.Object({
      tags: Type.Array(Type.Object({ n: Type.Integer() }, says('{param}: an object with an integer n.', 'bad_tag'))),
    });
    const check = bodyCheck(Long, { path: 'brackets' });
    const tags = [...Array.from({ length: 100_000 }, (_, n) => ({ n })), { n: 'x' }, { n: 'y' }];
    expect(refusal(check, { tags })).toMatchObject({ param: 'tags[100000]', message: 'tags[100000]: an object with an integer n.' });
  });

  it('reports a list over its bound, and a union of list shapes in its own words, however long the list', () => {
    const tooMany = { ...ok, items: Array.from({ length: 100_000 }, () => ok.items[0]) };
    expect(refusal(brackets, tooMany)).toMatchObject({ code: 'too_many', param: 'items' });
    const Shapes = Type.Object({
      p: Type.Union(
        [Type.Array(Type.String(), { maxItems: 3 }), Type.Array(Type.Integer())],
        says('{param}: strings or integers.', 'bad_p'),
      ),
    });
    const mixed = { p: [...Array.from({ length: 100_000 }, () => 1), 'x'] };
    expect(refusal(bodyCheck(Shapes, { path: 'dots' }), mixed)).toMatchObject({ code: 'bad_p', param: 'p' });
  });

  it('writes paths in the dialect asked for', () => {
    expect(refusal(dots, { ...ok, items: [{ role: 'c', content: 'x' }] }).message).toBe('items.0.role must be a or b.');
    expect(fieldPath(['tools', '3', 'name'], 'brackets')).toBe('tools[3].name');
    expect(fieldPath(['tools', '3', 'name'], 'dots')).toBe('tools.3.name');
  });
});
