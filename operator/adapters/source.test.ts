import { describe, expect, it } from 'vitest';
import { adapterClaims, adapterPath, pvcSource } from './source.ts';

describe('adapter sources', () => {
  it('give vLLM a Hugging Face id, a path under the mounted claim, or the URL as written', () => {
    expect(adapterPath('hf://yard1/llama-2-7b-sql-lora-test')).toBe('yard1/llama-2-7b-sql-lora-test');
    expect(adapterPath('pvc://loras/finance/v2')).toBe('/adapters/loras/finance/v2');
    expect(adapterPath('https://adapters.example/sql.tar')).toBe('https://adapters.example/sql.tar');
  });

  it('split a pvc:// source into its claim and path, and nothing else', () => {
    expect(pvcSource('pvc://loras/a/b')).toEqual({ claim: 'loras', path: 'a/b' });
    expect(pvcSource('hf://org/name')).toBeUndefined();
  });

  it('list each claim once, sorted, so the pod volumes do not depend on the order of the list', () => {
    const adapters = [
      { name: 'b', source: 'pvc://zeta/b' },
      { name: 'a', source: 'pvc://alpha/a' },
      { name: 'c', source: 'pvc://zeta/c' },
      { name: 'd', source: 'hf://org/d' },
    ];
    expect(adapterClaims(adapters)).toEqual(['alpha', 'zeta']);
  });
});
