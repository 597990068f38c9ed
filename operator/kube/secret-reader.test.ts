import { afterEach, describe, expect, it, vi } from 'vitest';
import { sharedSecretReader, type SecretData } from './secret-reader.ts';

afterEach(() => {
  vi.useRealTimers();
});

function countingFetch(result: () => Promise<SecretData>) {
  const calls: string[] = [];
  return {
    calls,
    fetch: (namespace: string, name: string) => {
      calls.push(`${namespace}/${name}`);
      return result();
    },
  };
}

describe('sharedSecretReader', () => {
  it('shares concurrent and recent reads of one Secret, then reads again', async () => {
    vi.useFakeTimers();
    const { calls, fetch } = countingFetch(() => Promise.resolve({ url: 'c2VjcmV0' }));
    const reader = sharedSecretReader(fetch, 2000);
    const [a, b] = await Promise.all([reader.read('ns', 'db'), reader.read('ns', 'db')]);
    expect(a).toEqual({ url: 'c2VjcmV0' });
    expect(b).toBe(a);
    await reader.read('ns', 'db');
    await reader.read('ns', 'enc');
    expect(calls).toEqual(['ns/db', 'ns/enc']);
    await vi.advanceTimersByTimeAsync(2001);
    await reader.read('ns', 'db');
    expect(calls).toEqual(['ns/db', 'ns/enc', 'ns/db']);
  });

  it('keeps "not found" only as long as a value, and never keeps a failure', async () => {
    let outcome: () => Promise<SecretData> = () => Promise.reject(new Error('API server unavailable'));
    const { calls, fetch } = countingFetch(() => outcome());
    const reader = sharedSecretReader(fetch, 60_000);
    await expect(reader.read('ns', 'db')).rejects.toThrow('API server unavailable');
    outcome = () => Promise.resolve(undefined);
    await expect(reader.read('ns', 'db')).resolves.toBeUndefined();
    await expect(reader.read('ns', 'db')).resolves.toBeUndefined();
    expect(calls).toHaveLength(2);
  });

  it('reads a Secret again once told it changed, within its share', async () => {
    let value = 'b2xk';
    const { calls, fetch } = countingFetch(() => Promise.resolve({ key: value }));
    const reader = sharedSecretReader(fetch, 60_000);
    await expect(reader.read('ns', 'enc')).resolves.toEqual({ key: 'b2xk' });
    value = 'bmV3';
    await expect(reader.read('ns', 'enc')).resolves.toEqual({ key: 'b2xk' });
    reader.forget('ns', 'enc');
    await expect(reader.read('ns', 'enc')).resolves.toEqual({ key: 'bmV3' });
    await expect(reader.read('ns', 'enc')).resolves.toEqual({ key: 'bmV3' });
    expect(calls).toEqual(['ns/enc', 'ns/enc']);
  });
});
