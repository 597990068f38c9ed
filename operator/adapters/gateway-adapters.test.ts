import { describe, expect, it } from 'vitest';
import { defaultedModelServer } from '../api/v1alpha1/defaults.ts';
import { gatewayAdapters } from './gateway-adapters.ts';

describe('gatewayAdapters', () => {
  const ms = defaultedModelServer(
    { name: 'llama', namespace: 'ml' },
    {
      model: { id: 'org/llama' },
      adapters: [
        { name: 'sql', source: 'hf://org/sql', tiers: ['pro', 'enterprise'] },
        { name: 'bad', source: 'hf://org/bad' },
      ],
    },
  );

  it("lists the spec's adapters sorted with their tiers, and the server's message for a refused one only", () => {
    const status = {
      adapters: [
        { name: 'bad', state: 'Failed' as const, loadedReplicas: 0, message: 'No adapter found for org/bad' },
        { name: 'sql', state: 'Loading' as const, loadedReplicas: 1, message: 'Loaded on 1 of 2 ready replicas.' },
      ],
    };
    expect(gatewayAdapters({ ...ms, status })).toEqual([
      { name: 'bad', tiers: undefined, loadError: 'No adapter found for org/bad' },
      { name: 'sql', tiers: ['pro', 'enterprise'], loadError: undefined },
    ]);
  });

  it('leaves loading progress out, so the file does not change while adapters load', () => {
    const loading = { adapters: [{ name: 'sql', state: 'Loading' as const, loadedReplicas: 0 }] };
    const loaded = { adapters: [{ name: 'sql', state: 'Loaded' as const, loadedReplicas: 2 }] };
    expect(gatewayAdapters({ ...ms, status: loading })).toEqual(gatewayAdapters({ ...ms, status: loaded }));
  });

  it('is absent without adapters or without a ModelServer', () => {
    expect(gatewayAdapters(undefined)).toBeUndefined();
    expect(gatewayAdapters(defaultedModelServer({ name: 'x', namespace: 'ml' }, { model: { id: 'org/x' } }))).toBeUndefined();
  });
});
