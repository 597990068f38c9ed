// Which PerpetualDeployments a change to a Secret or a ModelServer wakes.
import { describe, expect, it } from 'vitest';
import { defaultedPerpetualDeployment } from '../../api/v1alpha1/defaults.ts';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
import type { Caches } from '../../kube/caches.ts';
import { usersOfModelServer, usersOfSecret } from './controller.ts';

const base = { mode: 'proxy' as const, database: { secretRef: { name: 'db' } }, encryptionKeySecretRef: { name: 'enc' }, models: [] };

function cachesOf(pds: PerpetualDeployment[]): Caches {
  return {
    list: ((kind: string, namespace?: string) =>
      kind === 'PerpetualDeployment' ? pds.filter((pd) => pd.metadata?.namespace === namespace) : []) as Caches['list'],
    get: () => undefined,
    controlledBy: () => [],
  };
}

describe('usersOfSecret', () => {
  const plain = defaultedPerpetualDeployment({ name: 'plain', namespace: 'prod' }, base);
  const external = defaultedPerpetualDeployment(
    { name: 'external', namespace: 'prod' },
    {
      ...base,
      encryptionKeySecretRef: { name: 'enc-external' },
      vectorStore: { type: 'external', external: { url: 'http://qdrant:6333', apiKeySecretRef: { name: 'qdrant' } } },
      cache: { type: 'external', external: { url: 'redis://redis:6379', passwordSecretRef: { name: 'redis' } } },
      auth: { jwtSecretRef: { name: 'supabase' }, adminTokenSecretRef: { name: 'admin' } },
      billing: { polar: { tokenSecretRef: { name: 'polar' } } },
    },
  );
  const elsewhere = defaultedPerpetualDeployment({ name: 'plain', namespace: 'staging' }, base);
  const caches = cachesOf([plain, external, elsewhere]);

  it("wakes every PerpetualDeployment in the Secret's namespace that refers to it, for any purpose", () => {
    expect(usersOfSecret(caches, 'prod', 'db')).toEqual(['prod/plain', 'prod/external']);
    expect(usersOfSecret(caches, 'prod', 'enc')).toEqual(['prod/plain']);
    for (const name of ['enc-external', 'qdrant', 'redis', 'supabase', 'admin', 'polar'])
      expect(usersOfSecret(caches, 'prod', name)).toEqual(['prod/external']);
  });

  it('wakes none for a Secret nobody refers to, or one of the same name in another namespace', () => {
    expect(usersOfSecret(caches, 'prod', 'unrelated')).toEqual([]);
    expect(usersOfSecret(caches, 'dev', 'db')).toEqual([]);
  });
});

describe('usersOfModelServer', () => {
  it('wakes the PerpetualDeployments that route to it or embed with it', () => {
    const chat = defaultedPerpetualDeployment(
      { name: 'chat', namespace: 'prod' },
      { ...base, models: [{ name: 'm', modelServerRef: { name: 'mistral' } }] },
    );
    const embed = defaultedPerpetualDeployment(
      { name: 'embed', namespace: 'prod' },
      { ...base, memory: { embedding: { source: 'modelServer', modelServerRef: { name: 'mistral' } } } },
    );
    const other = defaultedPerpetualDeployment({ name: 'other', namespace: 'prod' }, base);
    expect(usersOfModelServer(cachesOf([chat, embed, other]), 'prod', 'mistral')).toEqual(['prod/chat', 'prod/embed']);
  });
});
