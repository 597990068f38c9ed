import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { defaultedModelServer, defaultedPerpetualDeployment } from '../api/v1alpha1/defaults.ts';
import { scaleTargets } from './targets.ts';

function pod(name: string, labels: Record<string, string>, ready = true, namespace = 'ml'): V1Pod {
  return {
    metadata: { name, namespace, labels },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

const builtin = defaultedModelServer(
  { name: 'llama', namespace: 'ml' },
  { model: { id: 'a/b' }, autoscaling: { minReplicas: 0, maxReplicas: 4 }, replicas: 2 },
);
const hpa = defaultedModelServer(
  { name: 'other', namespace: 'ml' },
  { model: { id: 'a/b' }, autoscaling: { engine: 'hpa', maxReplicas: 4 } },
);
const fixed = defaultedModelServer({ name: 'fixed', namespace: 'ml' }, { model: { id: 'a/b' }, replicas: 1 });
const pd = (name: string, namespace: string, models: { name: string; ms: string }[]) =>
  defaultedPerpetualDeployment(
    { name, namespace },
    {
      mode: 'local',
      database: { secretRef: { name: 'db' } },
      encryptionKeySecretRef: { name: 'enc' },
      models: models.map((m) => ({ name: m.name, modelServerRef: { name: m.ms } })),
    },
  );

describe('scaleTargets', () => {
  const replica = { 'perpetual.ai/modelserver': 'llama', 'app.kubernetes.io/component': 'vllm' };
  const gateway = (pdName: string) => ({ 'perpetual.ai/perpetualdeployment': pdName, 'app.kubernetes.io/component': 'gateway' });
  const targets = scaleTargets({
    modelServers: [builtin, hpa, fixed],
    pods: [
      pod('llama-1', replica),
      pod('llama-2', replica, false),
      pod('llama-elsewhere', replica, true, 'other-ns'),
      pod('stack-gw-1', gateway('stack')),
      pod('stack-redis', { 'perpetual.ai/perpetualdeployment': 'stack', 'app.kubernetes.io/component': 'redis' }),
      pod('unrelated-gw-1', gateway('unrelated')),
    ],
    deployments: [
      pd('stack', 'ml', [
        { name: 'llama-70b', ms: 'llama' },
        { name: 'llama-alias', ms: 'llama' },
        { name: 'x', ms: 'other' },
      ]),
      pd('unrelated', 'ml', [{ name: 'x', ms: 'other' }]),
      pd('stack', 'other-ns', [{ name: 'elsewhere', ms: 'llama' }]),
    ],
  });

  it('takes only ModelServers with the builtin engine', () => {
    expect(targets.map((t) => t.name)).toEqual(['llama']);
  });

  it('reads the ready replicas of the ModelServer in its namespace', () => {
    expect(targets[0]?.replicaPods.map((p) => p.metadata?.name)).toEqual(['llama-1']);
    expect(targets[0]?.currentReplicas).toBe(2);
  });

  it('reads the gateway pods of PerpetualDeployments that route to it, under their model names', () => {
    expect(targets[0]?.gatewayPods.map((p) => p.metadata?.name)).toEqual(['stack-gw-1']);
    expect([...(targets[0]?.modelNames ?? [])]).toEqual(['llama-70b', 'llama-alias']);
  });
});
