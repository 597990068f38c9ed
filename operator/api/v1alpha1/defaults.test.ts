import { describe, expect, it } from 'vitest';
import { defaultedModelServer, defaultedPerpetualDeployment } from './defaults.ts';

describe('applyDefaults', () => {
  it('fills nested defaults the way the API server does (same values as test/api/crds.test.ts sees)', () => {
    const pd = defaultedPerpetualDeployment(
      { name: 'x' },
      { mode: 'proxy', database: { secretRef: { name: 'db' } }, encryptionKeySecretRef: { name: 'enc' } },
    );
    expect(pd.spec.tiers).toEqual({
      free: { requestsPerMinute: 10, requestsPerDay: 1000 },
      pro: { requestsPerMinute: 60, requestsPerDay: 10000 },
      enterprise: { requestsPerMinute: 1000, requestsPerDay: 1000000 },
    });
    expect(pd.spec.database.secretRef).toEqual({ name: 'db', key: 'uri' });
    expect(pd.spec.vectorStore).toMatchObject({
      type: 'managed',
      collection: 'conversations',
      managed: { replicas: 1, storage: { size: '10Gi' } },
    });
    expect(pd.spec.models).toEqual([]);
  });

  it('keeps given values and defaults inside arrays', () => {
    const ms = defaultedModelServer(
      { name: 'm' },
      { model: { id: 'a/b' }, gpu: { count: 2 }, engine: { env: [{ name: 'HF_TOKEN', secretKeyRef: { name: 'hf' } }] } },
    );
    expect(ms.spec.gpu).toEqual({ count: 2, resourceName: 'nvidia.com/gpu' });
    expect(ms.spec.engine.env?.[0]?.secretKeyRef).toEqual({ name: 'hf', key: 'value' });
    expect(ms.spec.autoscaling).toBeUndefined();
  });
});
