import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH, refuseDeepJson } from './json-depth.ts';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('jsonDepth', () => {
  it('counts nested objects and arrays', () => {
    expect(jsonDepth(bytes('1'))).toBe(0);
    expect(jsonDepth(bytes('{}'))).toBe(1);
    expect(jsonDepth(bytes('{"a":[{"b":[]}],"c":{}}'))).toBe(4);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepth(bytes('{"a":"[[[{{{"}'))).toBe(1);
    expect(jsonDepth(bytes('{"a":"\\"[[[","b":["\\\\"]}'))).toBe(2);
  });

  it('stops counting once past the limit', () => {
    expect(jsonDepth(bytes('['.repeat(200_000)), 10)).toBe(11);
  });
});

describe('refuseDeepJson', () => {
  it('lets the deepest allowed body through and refuses one level more with a 400', () => {
    expect(() => {
      refuseDeepJson(undefined, undefined, bytes(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`));
    }).not.toThrow();
    expect(() => {
      refuseDeepJson(undefined, undefined, bytes(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`));
    }).toThrow(expect.objectContaining({ status: 400, code: 'json_too_deep' }));
  });
});
