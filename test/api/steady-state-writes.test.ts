// Zero writes at steady state for every golden spec and sample, and for the specs that differ from
// what the API server stores: quantities it canonicalises (`cpu: "0.5"` is stored as "500m"),
// empty lists and maps it drops (a container without env, an affinity with empty terms), empty
// strings it drops (`value: ""`). A child whose desired form never equals its stored form would be
// re-applied on every reconcile, forever. Then the same after a restart, when the operator's cache
// starts from a list response rather than from watch events.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { goldenBase, goldenModelServerSpecs, goldenPerpetualDeploymentSpecs } from '../../operator/api/v1alpha1/testdata/golden-specs.ts';
import { REPO_ROOT } from '../harness/processes.ts';
import { eventually } from '../support/eventually.ts';
import { secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
let ns = '';
let operator: OperatorProcess;

type Spec = Record<string, unknown>;

const secret = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: data });
const modelServer = (name: string, spec: Spec) => ({ apiVersion: 'perpetual.ai/v1alpha1', kind: 'ModelServer', metadata: { name }, spec });
const perpetualDeployment = (name: string, spec: Spec) => ({
  apiVersion: 'perpetual.ai/v1alpha1',
  kind: 'PerpetualDeployment',
  metadata: { name },
  spec,
});

/** Every Secret the specs below refer to, with the keys they read. */
const referencedSecrets = [
  secret('hf', { token: 'hf-token' }),
  secret('polar', { POLAR_API_KEY: 'polar-token' }),
  secret('supabase', { SUPABASE_JWT_SECRET: 'jwt-secret' }),
  secret('qdrant', { 'api-key': 'qdrant-key' }),
  secret('redis', { password: 'redis-password' }),
  // config/samples' names.
  secret('perpetual-db-app', { uri: 'postgresql://perpetual:pw@db.example:5432/perpetual' }),
  secret('perpetual-encryption', { API_KEY_ENCRYPTION_KEY: 'bm90LWEtcmVhbC1mZXJuZXQta2V5LW5ldmVyLWxvZ2dlZA==' }),
];

/** The specs of the golden YAML files (operator/api/v1alpha1/testdata/golden-specs.ts). */
const goldenSpecs = [
  ...Object.entries(goldenModelServerSpecs).map(([name, spec]) => modelServer(name, spec)),
  ...Object.entries(goldenPerpetualDeploymentSpecs).map(([name, spec]) => perpetualDeployment(name, { ...goldenBase, ...spec })),
];

/** An affinity whose empty lists and maps the API server drops from a pod template. */
const affinityWithEmptyParts = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['gpu'] }], matchFields: [] }],
    },
    preferredDuringSchedulingIgnoredDuringExecution: [],
  },
  podAntiAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: [
      {
        weight: 100,
        podAffinityTerm: {
          labelSelector: { matchLabels: { app: 'x' }, matchExpressions: [{ key: 'tier', operator: 'Exists', values: [] }] },
          namespaces: [],
          topologyKey: 'kubernetes.io/hostname',
        },
      },
    ],
  },
};

/** Specs the API server stores in another form than the one we send. */
const nonCanonicalSpecs = [
  modelServer('quantities', {
    model: { id: 'org/quantities' },
    gpu: { count: 1 },
    engine: {
      resources: {
        requests: { cpu: '0.5', memory: '1.5Gi', 'ephemeral-storage': '1e3' },
        limits: { cpu: '1000m', memory: '1536Mi', 'ephemeral-storage': '0.001M' },
      },
    },
    cache: { size: '1.5Gi' },
    replicas: 1,
  }),
  modelServer('plain', { model: { id: 'org/plain' }, gpu: { count: 1 }, replicas: 1 }),
  modelServer('affinity', {
    model: { id: 'org/affinity' },
    gpu: { count: 1 },
    engine: { env: [{ name: 'EMPTY', value: '' }] },
    affinity: affinityWithEmptyParts,
    tolerations: [{ key: 'dedicated', operator: 'Exists', value: '' }],
    replicas: 1,
  }),
  modelServer('kv-cache', {
    model: { id: 'org/kv-cache' },
    autoscaling: { engine: 'hpa', minReplicas: 1, maxReplicas: 3, metric: 'kvCacheUtilization', target: 0.5 },
  }),
  perpetualDeployment('quantities', {
    ...goldenBase,
    mode: 'proxy',
    models: [{ name: 'gpt-4o-mini', provider: 'openai' }],
    gateway: {
      replicas: 1,
      resources: { requests: { cpu: '0.5', memory: '1.5Gi' }, limits: { cpu: 1, memory: '2048Mi' } },
      env: [{ name: 'EMPTY', value: '' }],
      podTemplate: {
        labels: {},
        annotations: {},
        nodeSelector: {},
        tolerations: [],
        imagePullSecrets: [],
        affinity: affinityWithEmptyParts,
      },
    },
    vectorStore: { managed: { storage: { size: '1.5Gi' }, resources: { requests: { cpu: '0.1', memory: '0.5Gi' } } } },
    cache: { managed: { resources: { requests: { cpu: '100m', memory: '1e8' } } } },
  }),
];

function samples(): Record<string, unknown>[] {
  const dir = join(REPO_ROOT, 'config/samples');
  return readdirSync(dir)
    .filter((file) => file.startsWith('perpetual_') && file.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')))
    .map((doc) => {
      const object: unknown = doc.toJS();
      return object as Record<string, unknown>;
    });
}

const manifest = (objects: object[]): string => objects.map((o) => stringify(o)).join('---\n');

interface Owner {
  kind: string;
  metadata: { name: string; generation?: number };
  status?: { observedGeneration?: number };
}

async function owners(): Promise<Owner[]> {
  return (JSON.parse(await cluster.kubectlOk(['get', 'pd,ms', '-n', ns, '-o', 'json'])) as { items: Owner[] }).items;
}

/** Writes by verb and kind, e.g. "apply Deployment" → 3. */
async function writesByVerbAndKind(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const m of (await operator.metrics()).matchAll(/^perpetual_operator_api_writes_total\{([^}]*)\} (\S+)$/gm)) {
    const label = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(m[1] ?? '')?.[1] ?? '';
    counts.set(`${label('verb')} ${label('kind')}`, Number(m[2]));
  }
  return counts;
}

function difference(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const changes = [...after].map(([key, n]): [string, number] => [key, n - (before.get(key) ?? 0)]);
  return Object.fromEntries(changes.filter(([, n]) => n !== 0));
}

/** The children the operator (re)applied in this test's namespace, from its log lines after `offset`. */
function childrenAppliedSince(offset: number): string[] {
  const applied = operator
    .logs()
    .slice(offset)
    .split('\n')
    .flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; namespace?: string; kind?: string; name?: string };
        return entry.namespace === ns && (entry.msg === 'Updated child' || entry.msg === 'Created child')
          ? [`${entry.kind ?? ''}/${entry.name ?? ''}`]
          : [];
      } catch {
        return [];
      }
    });
  return [...new Set(applied)].sort();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until no write happens for `quietMs`, or `timeoutMs` passes (then the assertion below says which writes go on). */
async function settle(quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let writes = await operator.counter('perpetual_operator_api_writes_total');
  while (Date.now() < deadline) {
    await sleep(quietMs);
    const now = await operator.counter('perpetual_operator_api_writes_total');
    if (now === writes) return;
    writes = now;
  }
}

/**
 * Reconciles every owner in the namespace again (an annotation changes no spec) and returns the
 * writes made meanwhile: the children applied in this namespace, and every write by verb and kind.
 */
async function writesDuringResync(owners: number): Promise<{ children: string[]; byVerbAndKind: Record<string, number> }> {
  const writesBefore = await writesByVerbAndKind();
  const reconcilesBefore = await operator.counter('perpetual_operator_reconcile_total');
  const logOffset = operator.logs().length;
  await cluster.kubectlOk(['annotate', 'pd,ms', '--all', '-n', ns, `example.com/resync=${String(Date.now())}`, '--overwrite']);
  await eventually(async () => {
    expect(await operator.counter('perpetual_operator_reconcile_total')).toBeGreaterThanOrEqual(reconcilesBefore + owners);
  });
  // Owners that are not Ready (none is, without a kube-controller-manager) requeue every second:
  // a few more rounds of reconciles.
  await sleep(3000);
  return { children: childrenAppliedSince(logOffset), byVerbAndKind: difference(await writesByVerbAndKind(), writesBefore) };
}

const objects = [...goldenSpecs, ...samples(), ...nonCanonicalSpecs];

beforeAll(async () => {
  ns = await cluster.createNamespace('steady');
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], `${secretsManifest()}---\n${manifest(referencedSecrets)}`);
  operator = await startOperator({ kubeconfigPath: cluster.kubeconfigPath });
});

afterAll(async () => {
  // Other files' operators watch every namespace: leave them no owner of ours to reconcile. (Not
  // the namespace: without kube-controller-manager it would stay Terminating, refusing creates.)
  await cluster.kubectl(['delete', 'pd,ms', '--all', '-n', ns]);
  await operator.stop();
});

describe('steady state', () => {
  it('makes zero API writes for every golden spec, every sample and every non-canonical spec', async () => {
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest(objects));
    await eventually(async () => {
      const all = await owners();
      expect(all).toHaveLength(objects.length);
      for (const o of all) expect(o.status?.observedGeneration, `${o.kind}/${o.metadata.name}`).toBe(o.metadata.generation);
    }, 60_000);
    // Every child is created by now; let the last status writes land.
    await settle(3000, 30_000);

    expect(await writesDuringResync(objects.length)).toEqual({ children: [], byVerbAndKind: {} });
  });

  it('makes none for an item another manager added to a list the server merges by name (kubectl set env)', async () => {
    // Server-side apply leaves their variable in place: re-applying ours would change nothing, forever.
    await cluster.kubectlOk(['set', 'env', '-n', ns, 'deployment/proxy-gateway', 'ADDED_BY_HAND=1']);
    expect(await writesDuringResync(objects.length)).toEqual({ children: [], byVerbAndKind: {} });
    const env = await cluster.kubectlOk([
      'get',
      '-n',
      ns,
      'deployment/proxy-gateway',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].env[*].name}',
    ]);
    expect(env.split(' ')).toContain('ADDED_BY_HAND');
  });

  it('makes none after a restart either, for children the new process first sees in a list', async () => {
    // A list response's items differ from watch events (no apiVersion or kind), and an apply that
    // changes nothing sends no event to replace them in the cache.
    await operator.stop();
    operator = await startOperator({ kubeconfigPath: cluster.kubeconfigPath });
    const resync = await writesDuringResync(objects.length);
    expect({ ...resync, childrenSinceStart: childrenAppliedSince(0) }).toEqual({ children: [], byVerbAndKind: {}, childrenSinceStart: [] });
  });
});
