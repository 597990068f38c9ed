// Golden YAML for the connection Secret, and the Secrets the operator generates, per golden spec.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { connectionSecret, generatedSecrets } from './connection.ts';
import { goldenInput, goldenYaml, type GoldenSpec } from './testdata/golden-inputs.ts';

function secretData(secret: KubernetesObject): Record<string, string> {
  const { data } = secret as V1Secret;
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

describe.each<GoldenSpec>(['proxy', 'local', 'external'])('the connection Secret (%s)', (spec) => {
  const { owner, pd } = goldenInput(spec);

  it('matches the golden YAML', async () => {
    await expect(goldenYaml([connectionSecret(owner, pd)])).toMatchFileSnapshot(`testdata/connection.${spec}.golden.yaml`);
  });
});

describe('the connection Secret', () => {
  it('gives the in-cluster URLs of what the operator runs', () => {
    const { owner, pd } = goldenInput('proxy');
    expect(secretData(connectionSecret(owner, pd))).toEqual({
      GATEWAY_URL: 'http://app-gateway.prod.svc:80',
      OPENAI_BASE_URL: 'http://app-gateway.prod.svc:80/v1',
      QDRANT_URL: 'http://app-qdrant.prod.svc:6333',
      REDIS_URL: 'redis://app-redis.prod.svc:6379',
      REDIS_HOST: 'app-redis.prod.svc',
      REDIS_PORT: '6379',
    });
  });

  it('passes external URLs on as given, and splits the Redis one into host and port', () => {
    const { owner, pd } = goldenInput('external');
    expect(secretData(connectionSecret(owner, pd))).toMatchObject({
      QDRANT_URL: 'https://xyz.cloud.qdrant.io:6333',
      REDIS_URL: 'rediss://cache.example:6380',
      REDIS_HOST: 'cache.example',
      REDIS_PORT: '6380',
    });
  });
});

describe('generated Secrets', () => {
  it('are one per managed component, plus the admin token unless the spec names one', () => {
    expect(generatedSecrets(goldenInput('local').pd)).toEqual([
      { name: 'app-qdrant-api-key', key: 'api-key', component: 'qdrant' },
      { name: 'app-redis-password', key: 'password', component: 'redis' },
      { name: 'app-admin-token', key: 'token', component: 'gateway' },
    ]);
    expect(generatedSecrets(goldenInput('external').pd).map((s) => s.name)).toEqual(['app-admin-token']);
  });
});
