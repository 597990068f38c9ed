import { describe, expect, it } from 'vitest';
import {
  anthropicEndUser,
  END_USER_HEADER,
  headerText,
  MAX_END_USER_LENGTH,
  memoriesEndUser,
  openAIEndUser,
  resolveEndUser,
} from './end-user.ts';

function rejection(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('resolveEndUser', () => {
  it('is the account itself when nothing names an end user', () => {
    expect(resolveEndUser([])).toBeUndefined();
    expect(
      resolveEndUser([
        { param: 'user', value: undefined },
        { param: 'x', value: null },
        { param: 'y', value: '' },
      ]),
    ).toBeUndefined();
  });

  it('takes the first source given, in order', () => {
    expect(
      resolveEndUser([
        { param: 'a', value: undefined },
        { param: 'b', value: 'bob' },
        { param: 'c', value: 'carol' },
      ]),
    ).toBe('bob');
  });

  it('keeps the id exactly as sent (case, inner spaces, non-ASCII)', () => {
    for (const id of ['Alice', 'alice smith', 'José', '用户-7', 'x'.repeat(MAX_END_USER_LENGTH)]) {
      expect(resolveEndUser([{ param: 'user', value: id }])).toBe(id);
    }
  });

  it.each([
    ['a number', 42],
    ['an object', { id: 'a' }],
    ['an over-long id', 'x'.repeat(MAX_END_USER_LENGTH + 1)],
    ['a newline', 'alice\nbob'],
    ['a NUL', 'alice\u0000'],
    ['a tab', '\talice'],
    ['a C1 control', 'alice\u0085'],
    ['a blank id', '   '],
  ])('refuses %s with a 400 naming the field', (_what, value) => {
    expect(rejection(() => resolveEndUser([{ param: 'metadata.user_id', value }]))).toMatchObject({
      status: 400,
      code: 'invalid_end_user',
      param: 'metadata.user_id',
    });
  });

  it('checks a losing source too, so a malformed id is never silently ignored', () => {
    expect(
      rejection(() =>
        resolveEndUser([
          { param: 'h', value: 'alice' },
          { param: 'user', value: 'a\nb' },
        ]),
      ),
    ).toMatchObject({ status: 400, param: 'user' });
  });
});

describe('the dialects', () => {
  it('OpenAI: the header wins over user, which wins over safety_identifier', () => {
    expect(openAIEndUser('hdr', { user: 'u', safety_identifier: 's' })).toBe('hdr');
    expect(openAIEndUser(undefined, { user: 'u', safety_identifier: 's' })).toBe('u');
    expect(openAIEndUser(undefined, { safety_identifier: 's' })).toBe('s');
    expect(openAIEndUser(undefined, {})).toBeUndefined();
    expect(rejection(() => openAIEndUser('x'.repeat(300), {}))).toMatchObject({ param: END_USER_HEADER });
  });

  it('/v1/memories: the header wins over the end_user query parameter, which wins over the body', () => {
    expect(memoriesEndUser('hdr', 'q', 'b')).toBe('hdr');
    expect(memoriesEndUser(undefined, 'q', 'b')).toBe('q');
    expect(memoriesEndUser(undefined, undefined, 'b')).toBe('b');
    expect(memoriesEndUser(undefined, undefined)).toBeUndefined();
    // ?end_user=a&end_user=b arrives as an array: one scope per call, so it is refused.
    expect(rejection(() => memoriesEndUser(undefined, ['a', 'b']))).toMatchObject({ status: 400, param: 'end_user' });
  });

  it('Anthropic: the header wins over metadata.user_id', () => {
    expect(anthropicEndUser('hdr', { user_id: 'm' })).toBe('hdr');
    expect(anthropicEndUser(undefined, { user_id: 'm' })).toBe('m');
    expect(anthropicEndUser(undefined, undefined)).toBeUndefined();
  });
});

describe('headerText', () => {
  it('reads UTF-8 bytes that Node handed over as latin1, and leaves anything else alone', () => {
    expect(headerText(Buffer.from('José', 'utf8').toString('latin1'))).toBe('José');
    expect(headerText('alice')).toBe('alice');
    expect(headerText('caf\u00e9')).toBe('caf\u00e9'); // a lone latin1 byte is not UTF-8
    expect(headerText(undefined)).toBeUndefined();
  });
});
