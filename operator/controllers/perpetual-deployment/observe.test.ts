import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { defaultedPerpetualDeployment } from '../../api/v1alpha1/defaults.ts';
import type { Caches } from '../../kube/caches.ts';
import { observePerpetualDeployment, referencedModelServers } from './observe.ts';

const base = { mode: 'local' as const, database: { secretRef: { name: 'db' } }, encryptionKeySecretRef: { name: 'enc' } };

describe('referencedModelServers', () => {
  it("names the models' ModelServers and the embedding one, each once", () => {
    const pd = defaultedPerpetualDeployment(
      { name: 'app', namespace: 'prod' },
      {
        ...base,
        models: [
          { name: 'chat', modelServerRef: { name: 'mistral' } },
          { name: 'chat-long', modelServerRef: { name: 'mistral' } },
        ],
        memory: { embedding: { source: 'modelServer', modelServerRef: { name: 'bge' } } },
      },
    );
    expect(referencedModelServers(pd)).toEqual(['mistral', 'bge']);
  });

  it('ignores an embedding ModelServer the source does not use', () => {
    const pd = defaultedPerpetualDeployment(
      { name: 'app', namespace: 'prod' },
      {
        ...base,
        models: [{ name: 'chat', modelServerRef: { name: 'mistral' } }],
        memory: { embedding: { source: 'builtin', modelServerRef: { name: 'bge' } } },
      },
    );
    expect(referencedModelServers(pd)).toEqual(['mistral']);
  });
});

describe('observePerpetualDeployment', () => {
  const pd = defaultedPerpetualDeployment({ name: 'app', namespace: 'prod' }, { ...base, models: [] });
  const pod = (name: string, component: string, owner = 'app', controller?: string): V1Pod => ({
    metadata: {
      name,
      namespace: 'prod',
      labels: { 'app.kubernetes.io/component': component, 'perpetual.ai/perpetualdeployment': owner },
      ...(controller ? { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'job', uid: controller, controller: true }] } : {}),
    },
  });
  const pods = [
    pod('app-gateway-a', 'gateway'),
    pod('app-redis-a', 'redis'),
    pod('app-qdrant-0', 'qdrant'),
    pod('app-migrate-new-a', 'migration', 'app', 'uid-new'),
    pod('app-migrate-old-a', 'migration', 'app', 'uid-old'),
    pod('other-gateway-a', 'gateway', 'other'),
  ];
  const job: V1Job = { metadata: { name: 'app-migrate-new', namespace: 'prod', uid: 'uid-new' } };
  const caches = {
    get: (kind: string, name: string) => (kind === 'Job' && name === job.metadata?.name ? job : undefined),
    list: (kind: string) => (kind === 'Pod' ? pods : []),
    controlledBy: (kind: string, uid: string) =>
      kind === 'Pod' ? pods.filter((p) => p.metadata?.ownerReferences?.some((r) => r.controller && r.uid === uid)) : [],
  } as unknown as Caches;

  it("gathers its own pods by component, and of the migration only the current Job's", () => {
    const observed = observePerpetualDeployment(caches, pd, 'app-migrate-new', { secretProblems: [], blockers: [] });
    const names = (list: readonly V1Pod[]) => list.map((p) => p.metadata?.name);
    const { gateway, qdrant, redis, migration } = observed.pods;
    expect({ gateway: names(gateway), qdrant: names(qdrant), redis: names(redis), migration: names(migration) }).toEqual({
      gateway: ['app-gateway-a'],
      qdrant: ['app-qdrant-0'],
      redis: ['app-redis-a'],
      migration: ['app-migrate-new-a'],
    });
  });

  it('gathers no migration pods before the Job exists', () => {
    expect(observePerpetualDeployment(caches, pd, 'app-migrate-next', { secretProblems: [], blockers: [] }).pods.migration).toEqual([]);
  });
});
