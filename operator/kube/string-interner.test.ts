import { describe, expect, it } from 'vitest';
import { StringInterner } from './string-interner.ts';

describe('StringInterner', () => {
  it('leaves every value equal, only shared', () => {
    const interner = new StringInterner();
    const parse = () =>
      JSON.parse(
        '{"metadata":{"labels":{"app":"gateway"}},"spec":{"ports":[{"protocol":"TCP","port":80}],"long":"' +
          'x'.repeat(100) +
          '","n":null}}',
      ) as unknown;
    const a = parse();
    const b = parse();
    interner.internAll(a);
    interner.internAll(b);
    expect(a).toEqual(b);
    expect(b).toEqual(parse());
    // Two values, "gateway" and "TCP"; the long string and the keys are not kept.
    expect(interner.size).toBe(2);
  });

  it('starts a new table past its bound instead of growing', () => {
    const interner = new StringInterner({ maxEntries: 3 });
    interner.internAll(['a', 'b', 'c']);
    expect(interner.size).toBe(3);
    interner.internAll(['d']);
    expect(interner.size).toBe(1);
  });

  it('leaves the values of unique fields, and everything under them, out of the table', () => {
    const interner = new StringInterner({ uniqueFields: ['uid', 'data'] });
    const obj = { metadata: { uid: 'u-1', name: 'a' }, data: { key: 'c2VjcmV0', nested: ['x'] } };
    interner.internAll(obj);
    expect(obj).toEqual({ metadata: { uid: 'u-1', name: 'a' }, data: { key: 'c2VjcmV0', nested: ['x'] } });
    expect(interner.size).toBe(1);
  });
});
