import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { safeHeaderValue, setSafeHeaders } from './safe-headers.ts';

/** Node's own check, the one that throws ERR_INVALID_CHAR from res.setHeader. */
function nodeAccepts(value: string): boolean {
  try {
    http.validateHeaderValue('x-test', value);
    return true;
  } catch {
    return false;
  }
}

describe('safeHeaderValue', () => {
  it.each(['gpt-4o-mini', 'req_0123abcd', '12.50', 'hit', 'a,b,c', 'meta-llama/Llama-3.1-8B:free@v1+x', ''])(
    'leaves the visible-ASCII value %j as it is',
    (value) => {
      expect(safeHeaderValue(value)).toBe(value);
    },
  );

  it.each([
    ['gpt-模型', 'gpt-%E6%A8%A1%E5%9E%8B'],
    ['a\r\nx-injected: 1', 'a%0D%0Ax-injected:%201'],
    ['nul\u0000', 'nul%00'],
    ['del\u007f', 'del%7F'],
    ['café', 'caf%C3%A9'],
    ['100%', '100%25'],
    [' padded ', '%20padded%20'],
  ])('percent-encodes %j as UTF-8, reversibly', (value, encoded) => {
    expect(safeHeaderValue(value)).toBe(encoded);
    expect(decodeURIComponent(encoded)).toBe(value);
  });

  it('always yields a value Node will send, whatever the input', () => {
    const nasty = [
      '\u0000\u0001\u001f',
      '\ud800 lone surrogate',
      '模型'.repeat(50),
      '\t\n\v\f\r',
      String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i)),
    ];
    for (const value of nasty) expect(nodeAccepts(safeHeaderValue(value))).toBe(true);
    expect(nodeAccepts('gpt-模型')).toBe(false);
  });
});

describe('setSafeHeaders', () => {
  it('sets every header, encoded', () => {
    const set: Record<string, string> = {};
    setSafeHeaders(
      {
        setHeader: (name: string, value: string) => {
          set[name] = value;
        },
      },
      { 'x-perpetual-model': 'gpt-模型', 'retry-after': '5' },
    );
    expect(set).toEqual({ 'x-perpetual-model': 'gpt-%E6%A8%A1%E5%9E%8B', 'retry-after': '5' });
  });
});
