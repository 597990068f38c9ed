// Pod failures that only the real controllers produce, decoded into status against them: a pod the
// ReplicaSet controller cannot create (the API server refuses a missing PriorityClass or
// ServiceAccount; the Deployment copies ReplicaFailure from its ReplicaSet) says FailedCreate, and a
// pod the scheduler cannot place because its claim names a StorageClass that does not exist says
// UnboundPersistentVolumeClaim. Each recovers once the missing object exists.
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodFailureReasons } from '../../operator/api/v1alpha1/conditions.ts';
import { eventually } from '../support/eventually.ts';
import { modelServer, perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
let ns = '';
let operator: OperatorProcess | undefined;
/** Cluster-scoped objects the tests create (named after the namespace), deleted at the end. */
const clusterScoped: string[] = [];

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

beforeAll(async () => {
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  ns = await cluster.createNamespace('failures');
  await apply(secretsManifest());
  operator = await startOperator({ kubeconfigPath: cluster.kubeconfigPath });
});

afterAll(async () => {
  await operator?.stop();
  // Other files share this cluster: give back the GPU, and the PersistentVolume pool's shape.
  await cluster.kubectlOk(['delete', 'namespace', ns, '--wait=true', '--timeout=60s']);
  for (const object of clusterScoped) await cluster.kubectl(['delete', object, '--ignore-not-found', '--wait=false']);
});

async function apply(manifest: string): Promise<void> {
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest);
}

async function createClusterScoped(kindAndName: string, manifest: object): Promise<void> {
  clusterScoped.push(kindAndName);
  await cluster.kubectlOk(['create', '-f', '-'], stringify(manifest));
}

/** `object` as kubectl names it, e.g. ms/llama. */
async function conditionOf(object: string, type: string): Promise<Condition | undefined> {
  const { status } = JSON.parse(await cluster.kubectlOk(['get', object, '-n', ns, '-o', 'json'])) as {
    status?: { conditions?: Condition[] };
  };
  return status?.conditions?.find((c) => c.type === type);
}

/** What a failed wait should show: the conditions, the children and the namespace's last events. */
async function diagnostics(object: string): Promise<string> {
  const conditions = await cluster.kubectl([
    'get',
    object,
    '-n',
    ns,
    '-o',
    'jsonpath={range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\\n"}{end}',
  ]);
  const children = await cluster.kubectl(['get', 'pods,pvc,statefulsets,deployments,replicasets', '-n', ns, '-o', 'wide']);
  const events = await cluster.kubectl(['get', 'events', '-n', ns, '--sort-by=.lastTimestamp']);
  return [conditions.stdout, children.stdout, events.stdout.split('\n').slice(-25).join('\n')].join('\n');
}

/** Waits until `object` has the condition `assertion` accepts; on timeout the failure shows the diagnostics. */
async function eventuallyCondition(
  object: string,
  type: string,
  assertion: (c: Condition | undefined) => void,
  timeoutMs: number,
): Promise<void> {
  try {
    await eventually(
      async () => {
        assertion(await conditionOf(object, type));
      },
      timeoutMs,
      300,
    );
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${await diagnostics(object)}`, { cause: err });
  }
}

describe('pod failures the real controllers report, in status', () => {
  it("says FailedCreate with the API server's refusal while a ModelServer's PriorityClass is missing, and recovers once it exists", async () => {
    const priorityClass = `absent-${ns}`;
    await apply(modelServer('unprioritized', { gpu: { count: 1 }, replicas: 1, priorityClassName: priorityClass }));
    for (const type of ['Ready', 'Available']) {
      await eventuallyCondition(
        'ms/unprioritized',
        type,
        (c) => {
          expect(c).toMatchObject({ status: 'False', reason: PodFailureReasons.FailedCreate });
          // The refusal, as its own sentence before the condition's (how many replicas ready or serving).
          expect(c?.message).toMatch(
            new RegExp(`no PriorityClass with name ${priorityClass} was found\\. 0 (of 1 replicas ready|replicas serving)\\.$`),
          );
        },
        30_000,
      );
    }
    await createClusterScoped(`priorityclass/${priorityClass}`, {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: priorityClass },
      value: 1000,
    });
    await eventuallyCondition(
      'ms/unprioritized',
      'Ready',
      (c) => {
        expect(c).toMatchObject({ status: 'True', reason: 'ReplicasReady' });
      },
      60_000,
    );
  }, 120_000);

  it("says FailedCreate on GatewayReady naming the ServiceAccount the gateway's pod template wants, and recovers once it exists", async () => {
    const serviceAccount = 'gateway-runner';
    await apply(
      perpetualDeployment('no-account', {
        gateway: { replicas: 1, podTemplate: { serviceAccountName: serviceAccount } },
        vectorStore: { type: 'external', external: { url: 'http://qdrant.example:6333' } },
        cache: { type: 'external', external: { url: 'redis://redis.example:6379' } },
      }),
    );
    await eventuallyCondition(
      'pd/no-account',
      'GatewayReady',
      (c) => {
        expect(c).toMatchObject({ status: 'False', reason: PodFailureReasons.FailedCreate });
        expect(c?.message).toContain(`serviceaccount "${serviceAccount}" not found. 0 of 1 gateway pods ready.`);
      },
      45_000,
    );
    await apply(stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: serviceAccount } }));
    await eventuallyCondition(
      'pd/no-account',
      'GatewayReady',
      (c) => {
        expect(c).toMatchObject({ status: 'True', reason: 'ReplicasReady' });
      },
      60_000,
    );
  }, 120_000);

  it("says UnboundPersistentVolumeClaim on VectorStoreReady while the managed Qdrant's StorageClass is missing, and recovers once it exists", async () => {
    const storageClass = `absent-${ns}`;
    await apply(
      perpetualDeployment('no-storage', {
        vectorStore: { type: 'managed', managed: { storage: { size: '1Gi', storageClassName: storageClass } } },
        cache: { type: 'external', external: { url: 'redis://redis.example:6379' } },
      }),
    );
    await eventuallyCondition(
      'pd/no-storage',
      'VectorStoreReady',
      (c) => {
        expect(c).toMatchObject({ status: 'False', reason: PodFailureReasons.UnboundPersistentVolumeClaim });
        // The scheduler names neither the claim nor the class; status names the claim whose events do.
        expect(c?.message).toContain('Pod no-storage-qdrant-0 cannot be scheduled');
        expect(c?.message).toContain('unbound immediate PersistentVolumeClaims');
        expect(c?.message).toContain('(kubectl describe pvc storage-no-storage-qdrant-0)');
      },
      45_000,
    );
    // ...and those events name the StorageClass.
    await eventually(
      async () => {
        const events = await cluster.kubectlOk([
          'get',
          'events',
          '-n',
          ns,
          '--field-selector',
          'involvedObject.kind=PersistentVolumeClaim,involvedObject.name=storage-no-storage-qdrant-0',
          '-o',
          'jsonpath={.items[*].message}',
        ]);
        expect(events).toContain(`storageclass.storage.k8s.io "${storageClass}" not found`);
      },
      20_000,
      300,
    );
    // Nothing provisions here (test/harness/fake-storage.ts): the class comes with a volume to bind.
    await createClusterScoped(`storageclass/${storageClass}`, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: storageClass },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'Immediate',
    });
    await createClusterScoped(`persistentvolume/${storageClass}`, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: storageClass },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: storageClass,
        persistentVolumeReclaimPolicy: 'Delete',
        hostPath: { path: `/nonexistent/${storageClass}` },
      },
    });
    await eventuallyCondition(
      'pd/no-storage',
      'VectorStoreReady',
      (c) => {
        expect(c).toMatchObject({ status: 'True', reason: 'ReplicasReady' });
      },
      60_000,
    );
  }, 150_000);
});
