import type { V1ContainerStatus, V1Deployment, V1Job, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { defaultedModelServer, defaultedPerpetualDeployment } from '../../api/v1alpha1/defaults.ts';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import type { ComponentPods, PerpetualDeploymentObserved } from './observe.ts';
import { computePerpetualDeploymentStatus } from './status.ts';

const NOW = new Date('2026-11-24T12:00:00Z');
const pd = defaultedPerpetualDeployment(
  { name: 'app', namespace: 'prod' },
  {
    mode: 'local',
    database: { secretRef: { name: 'db' } },
    encryptionKeySecretRef: { name: 'enc' },
    models: [{ name: 'mistral', modelServerRef: { name: 'mistral' } }],
  },
);

const readyDeployment = (n: number): V1Deployment => ({
  spec: { replicas: n, selector: {}, template: {} },
  status: { readyReplicas: n, updatedReplicas: n },
});
const readyQdrant: V1StatefulSet = { spec: { selector: {}, serviceName: '', template: {} }, status: { replicas: 1, readyReplicas: 1 } };
const job = (type: 'Complete' | 'Failed'): V1Job => ({
  metadata: { name: 'app-migrate-1' },
  status: { conditions: [{ type, status: 'True' }] },
});
const readyServer: ModelServer = {
  ...defaultedModelServer({ name: 'mistral' }, { model: { id: 'x' } }),
  status: {
    conditions: [{ type: 'Ready', status: 'True', reason: 'ReplicasReady', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }],
  },
};

const noPods: ComponentPods = { gateway: [], qdrant: [], redis: [], migration: [] };

/** A pod whose container `container` the kubelet reports as `trouble` (the fields pod-essentials.ts keeps). */
function failingPod(name: string, container: string, trouble: Partial<V1ContainerStatus>): V1Pod {
  return {
    metadata: { name },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: container, image: '', imageID: '', ready: false, restartCount: 0, ...trouble }],
    },
  };
}

function observed(overrides: Partial<PerpetualDeploymentObserved> = {}): PerpetualDeploymentObserved {
  return {
    secretProblems: [],
    blockers: [],
    gateway: readyDeployment(2),
    qdrant: readyQdrant,
    redis: readyDeployment(1),
    migration: job('Complete'),
    pods: noPods,
    modelServers: new Map([['mistral', readyServer]]),
    ...overrides,
  };
}

const table = [
  { name: 'everything ready', observed: observed(), phase: 'Ready', failing: [] },
  { name: 'migration running', observed: observed({ migration: undefined }), phase: 'Progressing', failing: ['DatabaseReady'] },
  { name: 'migration failed', observed: observed({ migration: job('Failed') }), phase: 'Failed', failing: ['DatabaseReady'] },
  {
    name: 'database Secret missing',
    observed: observed({
      secretProblems: [{ purpose: 'database', name: 'db', key: 'uri', reason: 'SecretNotFound' }],
      migration: undefined,
    }),
    phase: 'Failed',
    failing: ['DatabaseReady'],
  },
  {
    name: 'ModelServer missing',
    observed: observed({ modelServers: new Map([['mistral', undefined]]) }),
    phase: 'Progressing',
    failing: ['ModelsReady'],
  },
  {
    name: 'gateway not ready',
    observed: observed({
      gateway: { spec: { replicas: 2, selector: {}, template: {} }, status: { readyReplicas: 1, updatedReplicas: 2 } },
    }),
    phase: 'Progressing',
    failing: ['GatewayReady'],
  },
  {
    name: 'Qdrant and Redis starting',
    observed: observed({ qdrant: undefined, redis: undefined }),
    phase: 'Progressing',
    failing: ['VectorStoreReady', 'CacheReady'],
  },
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

  const condition = (status: ReturnType<typeof computePerpetualDeploymentStatus>, type: string) =>
    status.conditions?.find((c) => c.type === type);
  const notReady = (ready: number, desired: number): V1Deployment => ({
    spec: { replicas: desired, selector: {}, template: {} },
    status: { readyReplicas: ready, updatedReplicas: desired },
  });
  const imagePullBackOff = failingPod('app-gateway-5c8d-q7x2p', 'gateway', {
    state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/acme/perpetual-gateway:v9"' } },
  });
  const crashLoopBackOff = failingPod('app-redis-6f7b-k2m9d', 'redis', {
    restartCount: 4,
    state: {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: 'back-off 1m20s restarting failed container=redis pod=app-redis-6f7b-k2m9d_prod(u-2)',
      },
    },
    lastState: { terminated: { exitCode: 1, reason: 'Error' } },
  });
  const oomKilled = failingPod('app-qdrant-0', 'qdrant', {
    restartCount: 2,
    state: { running: {} },
    lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
  });
  const createContainerConfigError = failingPod('app-migrate-1-xk2lp', 'migrate', {
    state: { waiting: { reason: 'CreateContainerConfigError', message: "couldn't find key uri in Secret prod/db" } },
  });
  const running = (): V1Job => ({ metadata: { name: 'app-migrate-1' }, status: { active: 1 } });

  it.each([
    {
      name: 'a gateway pod in ImagePullBackOff',
      type: 'GatewayReady',
      reason: 'ImagePullBackOff',
      observed: observed({ gateway: notReady(1, 2), pods: { ...noPods, gateway: [imagePullBackOff] } }),
      message:
        'Pod app-gateway-5c8d-q7x2p container gateway: ImagePullBackOff (Back-off pulling image "ghcr.io/acme/perpetual-gateway:v9"). 1 of 2 gateway pods ready.',
    },
    {
      name: 'Redis in CrashLoopBackOff',
      type: 'CacheReady',
      reason: 'CrashLoopBackOff',
      observed: observed({ redis: notReady(0, 1), pods: { ...noPods, redis: [crashLoopBackOff] } }),
      message:
        'Pod app-redis-6f7b-k2m9d container redis: CrashLoopBackOff (back-off 1m20s restarting failed container=redis pod=app-redis-6f7b-k2m9d_prod(u-2)); last exit code 1 (Error). Redis is not ready yet.',
    },
    {
      name: 'Qdrant OOMKilled',
      type: 'VectorStoreReady',
      reason: 'OOMKilled',
      observed: observed({
        qdrant: { ...readyQdrant, status: { replicas: 1, readyReplicas: 0 } },
        pods: { ...noPods, qdrant: [oomKilled] },
      }),
      message: 'Pod app-qdrant-0 container qdrant: restarted 2 times; last exit OOMKilled. 0 of 1 Qdrant replicas ready.',
    },
    {
      name: 'the migration pod in CreateContainerConfigError',
      type: 'DatabaseReady',
      reason: 'CreateContainerConfigError',
      observed: observed({ migration: running(), pods: { ...noPods, migration: [createContainerConfigError] } }),
      message:
        "Pod app-migrate-1-xk2lp container migrate: CreateContainerConfigError (couldn't find key uri in Secret prod/db). The migration Job is running.",
    },
  ])("names $name on $type with the kubelet's reason, and in phaseReason", ({ observed: o, type, reason, message }) => {
    const status = computePerpetualDeploymentStatus(pd, o, NOW);
    expect(condition(status, type)).toMatchObject({ status: 'False', reason, message });
    expect(status.phase).toBe('Progressing');
    expect(status.phaseReason).toBe(`${type}: ${message}`);
    expect(condition(status, 'Stalled')?.status).toBe('False');
  });

  it('calls a stack that was Ready and now has a gateway pod in ImagePullBackOff Degraded', () => {
    const wasReady = { ...pd, status: computePerpetualDeploymentStatus(pd, observed(), NOW) };
    const status = computePerpetualDeploymentStatus(
      wasReady,
      observed({ gateway: notReady(1, 2), pods: { ...noPods, gateway: [imagePullBackOff] } }),
      NOW,
    );
    expect(status.phase).toBe('Degraded');
    expect(status.phaseReason).toMatch(/^GatewayReady: Pod app-gateway-5c8d-q7x2p container gateway: ImagePullBackOff/);
  });

  it('says nothing of a failing pod while its component is ready (e.g. a surplus replica)', () => {
    const status = computePerpetualDeploymentStatus(pd, observed({ pods: { ...noPods, gateway: [imagePullBackOff] } }), NOW);
    expect(condition(status, 'GatewayReady')).toMatchObject({ status: 'True', reason: 'ReplicasReady' });
    expect(status.phase).toBe('Ready');
  });

  it("names a missing Secret before the gateway pod's CreateContainerConfigError it causes", () => {
    const configError = failingPod('app-gateway-5c8d-q7x2p', 'gateway', {
      state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "enc" not found' } },
    });
    const status = computePerpetualDeploymentStatus(
      pd,
      observed({
        secretProblems: [{ purpose: 'encryption keys', name: 'enc', key: 'keys', reason: 'SecretNotFound' }],
        gateway: notReady(0, 2),
        pods: { ...noPods, gateway: [configError] },
      }),
      NOW,
    );
    expect(condition(status, 'GatewayReady')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(status.phase).toBe('Failed');
  });

  it('keeps MigrationFailed (Stalled) for a failed Job, and names its OOMKilled pod', () => {
    const oomMigration = failingPod('app-migrate-1-xk2lp', 'migrate', { state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } });
    const status = computePerpetualDeploymentStatus(
      pd,
      observed({ migration: job('Failed'), pods: { ...noPods, migration: [oomMigration] } }),
      NOW,
    );
    expect(condition(status, 'DatabaseReady')).toMatchObject({
      status: 'False',
      reason: 'MigrationFailed',
      message:
        'Migration Job "app-migrate-1" failed; Pod app-migrate-1-xk2lp container migrate: OOMKilled. See its pod logs (kubectl logs job/app-migrate-1).',
    });
    expect(status.phase).toBe('Failed');
  });

  it("keeps phaseReason within the CRD's 1024 characters when several ModelServers fail at length", () => {
    const names = ['a', 'b', 'c'];
    const many = defaultedPerpetualDeployment(
      { name: 'app', namespace: 'prod' },
      { ...pd.spec, models: names.map((n) => ({ name: n, modelServerRef: { name: n } })) },
    );
    const failingServer = (n: string): ModelServer => ({
      ...defaultedModelServer({ name: n }, { model: { id: 'x' } }),
      status: {
        phaseReason: `Pod ${n}-vllm-abc container vllm: ErrImagePull (${'x'.repeat(256)}). 0 of 1 replicas ready.`,
        conditions: [{ type: 'Ready', status: 'False', reason: 'ErrImagePull', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      },
    });
    const status = computePerpetualDeploymentStatus(
      many,
      observed({ modelServers: new Map(names.map((n) => [n, failingServer(n)])) }),
      NOW,
    );
    expect(status.phaseReason?.length).toBe(1024);
    expect(status.phaseReason).toMatch(/^ModelsReady: ModelServer "a": Pod a-vllm-abc container vllm: ErrImagePull .*\.\.\.$/);
    for (const m of status.models ?? []) expect(m.message?.length).toBeLessThanOrEqual(1024);
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

  it('stalls on an invalid spec value with InvalidSpec, on the component it is for, naming the field', () => {
    const message = 'spec.cache.external.url "redis://cache.example:port" is not a valid URL.';
    const status = computePerpetualDeploymentStatus(
      pd,
      observed({ blockers: [{ purpose: 'cache', reason: 'InvalidSpec', message }] }),
      NOW,
    );
    expect(condition(status, 'CacheReady')).toMatchObject({ status: 'False', reason: 'InvalidSpec', message });
    expect(condition(status, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec', message });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', message });
    expect(condition(status, 'Reconciling')?.status).toBe('False');
    expect(status.phase).toBe('Failed');
    expect(status.phaseReason).toBe(message);
  });

  it('names a generated Secret someone else owns on GatewayReady, ahead of what its pods say', () => {
    const message = 'Secret "app-admin-token" already exists and has no controller, not this PerpetualDeployment; its value is not used.';
    const status = computePerpetualDeploymentStatus(
      pd,
      observed({
        blockers: [{ purpose: 'admin token', reason: 'SecretNotOwned', message }],
        gateway: notReady(0, 2),
        pods: { ...noPods, gateway: [imagePullBackOff] },
      }),
      NOW,
    );
    expect(condition(status, 'GatewayReady')).toMatchObject({ status: 'False', reason: 'SecretNotOwned', message });
    expect(condition(status, 'Stalled')).toMatchObject({ status: 'True', reason: 'SecretNotOwned' });
  });

  it('names a gateway that cannot create pods (a podTemplate ServiceAccount that does not exist) with FailedCreate', () => {
    const refused = 'pods "app-gateway-5c8d-" is forbidden: error looking up service account prod/robot: serviceaccount "robot" not found';
    const gateway: V1Deployment = {
      metadata: { name: 'app-gateway' },
      spec: { replicas: 2, selector: {}, template: {} },
      status: { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: refused }] },
    };
    const status = computePerpetualDeploymentStatus(pd, observed({ gateway }), NOW);
    expect(condition(status, 'GatewayReady')).toMatchObject({
      status: 'False',
      reason: 'FailedCreate',
      message: `Deployment app-gateway cannot create pods: ${refused}. 0 of 2 gateway pods ready.`,
    });
  });

  it('never shows the credentials of an external URL', () => {
    const external = defaultedPerpetualDeployment(
      { name: 'app', namespace: 'prod' },
      {
        mode: 'proxy',
        database: { secretRef: { name: 'db' } },
        encryptionKeySecretRef: { name: 'enc' },
        vectorStore: { type: 'external', external: { url: 'https://admin:s3cret@xyz.cloud.qdrant.io:6333' } },
        models: [{ name: 'groq', provider: 'openai-compatible', baseURL: 'https://u:s3cret@api.groq.example/openai/v1?api_key=s3cret' }],
      },
    );
    const status = computePerpetualDeploymentStatus(external, observed({ modelServers: new Map() }), NOW);
    expect(condition(status, 'VectorStoreReady')?.message).toBe('Using the external Qdrant at https://***@xyz.cloud.qdrant.io:6333.');
    expect(status.models?.[0]?.endpoint).toBe('https://***@api.groq.example/openai/v1?api_key=***');
    expect(JSON.stringify(status)).not.toContain('s3cret');
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
