import { describe, expect, it } from 'vitest';
import { isLoopbackUrl } from './loopback.ts';

describe('isLoopbackUrl', () => {
  it.each(['http://127.0.0.1:8000', 'http://127.3.2.1', 'https://localhost:9', 'http://[::1]:8000/v1'])('accepts %s', (url) => {
    expect(isLoopbackUrl(url)).toBe(true);
  });

  it.each([
    'http://10.0.0.7:8000',
    'http://127.0.0.1.nip.io',
    'http://128.0.0.1',
    'http://[::2]:80',
    'ftp://127.0.0.1',
    'not a url',
    'http://mistral-vllm.ns.svc:8000',
  ])('refuses %s', (url) => {
    expect(isLoopbackUrl(url)).toBe(false);
  });
});
