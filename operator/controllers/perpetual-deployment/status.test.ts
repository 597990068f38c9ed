import type { V1Deployment, V1Job, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { defaultedModelServer, defaultedPerpetualDeployment } from '../../api/v1alpha1/defaults.ts';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import type { PerpetualDeploymentObserved } from './observe.ts';
import { computePerpetualDeploymentStatus } from './status.ts';

const NOW = new Date('2026-11-24T12:00:00Z');
const pd = defaultedPerpetualDeployment({ name: 'app', namespace: 'prod' }, {
  mode: 'local',
  database: { secretRef: { name: 'db' } },
  encryptionKeySecretRef: { name: 'enc' },
  models: [{ name: 'mistral', modelServerRef: { name: 'mistral' } }],
});

const readyDeployment = (n: number): V1Deployment => ({ spec: { replicas: n, selector: {}, template: {} }, status: { readyReplicas: n, updatedReplicas: n } });
const readyQdrant: V1StatefulSet = { spec: { selector: {}, serviceName: '', template: {} }, status: { replicas: 1, readyReplicas: 1 } };
const job = (type: 'Complete' | 'Failed'): V1Job => ({ metadata: { name: 'app-migrate-1' }, status: { conditions: [{ type, status: 'True' }] } });
const readyServer: ModelServer = { ...defaultedModelServer({ name: 'mistral' }, { model: { id: 'x' } }), status: { conditions: [{ type: 'Ready', status: 'True', reason: 'ReplicasReady', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] } };

function observed(overrides: Partial<PerpetualDeploymentObserved> = {}): PerpetualDeploymentObserved {
  return {
    secretProblems: [],
    gateway: readyDeployment(2),
    qdrant: readyQdrant,
    redis: readyDeployment(1),
    migration: job('Complete'),
    modelServers: new Map([['mistral', readyServer]]),
    ...overrides,
  };
}

const table = [
  { name: 'everything ready', observed: observed(), phase: 'Ready', failing: [] },
  { name: 'migration running', observed: observed({ migration: undefined }), phase: 'Progressing', failing: ['DatabaseReady'] },
  { name: 'migration failed', observed: observed({ migration: job('Failed') }), phase: 'Failed', failing: ['DatabaseReady'] },
  { name: 'database Secret missing', observed: observed({ secretProblems: [{ purpose: 'database', name: 'db', key: 'uri', reason: 'SecretNotFound' }], migration: undefined }), phase: 'Failed', failing: ['DatabaseReady'] },
  { name: 'ModelServer missing', observed: observed({ modelServers: new Map([['mistral', undefined]]) }), phase: 'Progressing', failing: ['ModelsReady'] },
  { name: 'gateway not ready', observed: observed({ gateway: { spec: { replicas: 2, selector: {}, template: {} }, status: { readyReplicas: 1, updatedReplicas: 2 } } }), phase: 'Progressing', failing: ['GatewayReady'] },
  { name: 'Qdrant and Redis starting', observed: observed({ qdrant: undefined, redis: undefined }), phase: 'Progressing', failing: ['VectorStoreReady', 'CacheReady'] },
];

describe('computePerpetualDeploymentStatus', () => {
  it.each(table)('$name → $phase', ({ observed: o, phase, failing }) => {
    const status = computePerpetualDeploymentStatus(pd, o, NOW);
    expect(status.phase).toBe(phase);
    const components = ['DatabaseReady', 'VectorStoreReady', 'CacheReady', 'GatewayReady', 'ModelsReady'];
    expect(status.conditions?.filter((c) => components.includes(c.type) && c.status === 'False').map((c) => c.type)).toEqual(failing);
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe(failing.length === 0 ? 'True' : 'False');
    expect(status.conditions?.find((c) => c.type === 'Stalled')?.status).toBe(phase === 'Failed' ? 'True' : 'False');
  });

  it('calls a broken part of a stack that was Ready Degraded, not Progressing', () => {
    const wasReady = { ...pd, status: computePerpetualDeploymentStatus(pd, observed(), NOW) };
    const status = computePerpetualDeploymentStatus(wasReady, observed({ redis: undefined }), NOW);
    expect(status.phase).toBe('Degraded');
    expect(status.phaseReason).toBe('CacheReady: Redis is not ready yet.');
  });

  it('keeps lastTransitionTime unless a condition flips', () => {
    const first = computePerpetualDeploymentStatus(pd, observed(), NOW);
    const later = new Date(NOW.getTime() + 60_000);
    const same = computePerpetualDeploymentStatus({ ...pd, status: first }, observed(), later);
    expect(same.conditions).toEqual(first.conditions);
    const flipped = computePerpetualDeploymentStatus({ ...pd, status: first }, observed({ redis: undefined }), later);
    const time = (s: typeof first, type: string) => s.conditions?.find((c) => c.type === type)?.lastTransitionTime;
    expect(time(flipped, 'CacheReady')).toBe('2026-11-24T12:01:00Z');
    expect(time(flipped, 'DatabaseReady')).toBe('2026-11-24T12:00:00Z');
  });

  it('fills the kubectl columns', () => {
    expect(computePerpetualDeploymentStatus(pd, observed(), NOW)).toMatchObject({
      gatewaySummary: '2/2',
      modelsSummary: '1/1',
      url: 'http://app-gateway.prod.svc:80',
      connectionSecretName: 'app-connection',
    });
  });
});
