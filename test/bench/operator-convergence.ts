// Operator benchmark on the API profile (etcd + kube-apiserver, no controllers: nothing becomes
// Ready, so every object stays "waiting" and is requeued, the operator's worst steady state).
//
//   node test/bench/operator-convergence.ts [N ...]     (default: 1 100 1000)
//
// For each N it measures, side by side in this process:
//   operator  time from creating N PerpetualDeployments until every child exists and every
//             status reports observedGeneration 1;
//   baseline  time for this process alone to server-side-apply the same children (the same
//             builders, same concurrency) with no informers, status or events: the floor the
//             API server sets. The ratio operator/baseline is the operator's overhead.
// Then, with everything converged: API writes during a full resync (goal 0) and the operator's
// resident memory (goal < 200 MB at N = 1000).
import { KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { defaultedPerpetualDeployment } from '../../operator/api/v1alpha1/defaults.ts';
import { FIELD_MANAGER } from '../../operator/api/v1alpha1/labels.ts';
import { desiredObjects } from '../../operator/controllers/perpetual-deployment/desired.ts';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { eventually } from '../support/eventually.ts';
import { perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

/** Workers per controller in the operator, and parallel applies in the baseline: the same budget. */
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const CHILDREN_PER_PD = 13; // applied children + generated Secrets, excluding the migration Job

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++] as T);
  }));
}

// Polling is itself load on the API server: once a second, one list per kind, from this process.
const POLL_MS = 1000;
const CHILD_KINDS = [['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['v1', 'Service'], ['v1', 'ConfigMap'], ['v1', 'Secret'], ['policy/v1', 'PodDisruptionBudget']] as const;

async function countObservedGeneration(api: KubernetesObjectApi, namespace: string): Promise<number> {
  const list = await api.list<KubernetesObject & { status?: { observedGeneration?: number } }>('perpetual.ai/v1alpha1', 'PerpetualDeployment', namespace);
  return list.items.filter((pd) => pd.status?.observedGeneration === 1).length;
}

async function countChildren(api: KubernetesObjectApi, namespace: string): Promise<number> {
  let total = 0;
  for (const [apiVersion, kind] of CHILD_KINDS) {
    total += (await api.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, 'app.kubernetes.io/managed-by=perpetual-operator')).items.length;
  }
  return total;
}

async function createNamespace(cp: ControlPlane, name: string): Promise<void> {
  await cp.kubectl(['create', 'namespace', name]);
  await cp.kubectl(['apply', '-n', name, '-f', '-'], secretsManifest());
}

async function operatorRun(cp: ControlPlane, n: number): Promise<number> {
  const namespace = `bench-op-${String(n)}`;
  await createNamespace(cp, namespace);
  const manifest = Array.from({ length: n }, (_, i) => perpetualDeployment(`pd-${String(i)}`)).join('---\n');
  const api = KubernetesObjectApi.makeApiClient(cp.kubeConfig());
  const started = performance.now();
  await cp.kubectl(['apply', '--server-side', '-n', namespace, '-f', '-'], manifest);
  await eventually(async () => {
    if ((await countObservedGeneration(api, namespace)) !== n) throw new Error('statuses pending');
    if ((await countChildren(api, namespace)) < n * CHILDREN_PER_PD) throw new Error('children pending');
  }, 600_000, POLL_MS);
  return (performance.now() - started) / 1000;
}

async function baselineRun(cp: ControlPlane, n: number): Promise<number> {
  const namespace = `bench-base-${String(n)}`;
  await createNamespace(cp, namespace);
  const api = KubernetesObjectApi.makeApiClient(cp.kubeConfig());
  const objects: KubernetesObject[] = [];
  for (let i = 0; i < n; i++) {
    const pd = defaultedPerpetualDeployment({ name: `pd-${String(i)}`, namespace, uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}` }, {
      mode: 'proxy', database: { secretRef: { name: 'db' } }, encryptionKeySecretRef: { name: 'enc' }, models: [{ name: 'gpt-4o-mini', provider: 'openai' }],
    });
    const desired = desiredObjects({ pd, config: { images: { gateway: 'gateway:bench' } }, modelServers: new Map(), referencedSecretsHash: 'x', databaseSecretHash: 'x', databaseUsable: true });
    objects.push(...desired.objects);
  }
  const started = performance.now();
  await inParallel(objects, CONCURRENCY, async (obj) => {
    await api.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  });
  return (performance.now() - started) / 1000;
}

async function resyncWrites(op: OperatorProcess, total: number): Promise<{ writes: number; reconciles: number }> {
  const writesBefore = await op.counter('perpetual_operator_api_writes_total');
  const reconcilesBefore = await op.counter('perpetual_operator_reconcile_total');
  // RESYNC_SECONDS is short in this run; wait until every object was reconciled again.
  await eventually(async () => {
    if ((await op.counter('perpetual_operator_reconcile_total')) - reconcilesBefore < total) throw new Error('resync pending');
  }, 300_000, 500);
  return {
    writes: (await op.counter('perpetual_operator_api_writes_total')) - writesBefore,
    reconciles: (await op.counter('perpetual_operator_reconcile_total')) - reconcilesBefore,
  };
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const ns = sizes.length > 0 ? sizes : [1, 100, 1000];
  const cp = await startControlPlane({ profile: 'api' });
  await cp.kubectl(['create', 'namespace', 'perpetual-system']);
  // Long requeue while waiting, so the resync measurement sees resyncs, not waiting requeues.
  const op = await startOperator({
    kubeconfigPath: cp.kubeconfigPath,
    entry: process.env.OPERATOR_ENTRY,
    env: { RESYNC_SECONDS: '20', WAITING_REQUEUE_MS: '600000', LOG_LEVEL: 'warn', CONCURRENCY: String(CONCURRENCY) },
  });
  try {
    console.log('N      operator   baseline   ratio');
    let total = 0;
    for (const n of ns) {
      const baseline = await baselineRun(cp, n);
      const operatorSeconds = await operatorRun(cp, n);
      total += n;
      console.log(`${String(n).padEnd(6)} ${operatorSeconds.toFixed(2).padStart(7)} s ${baseline.toFixed(2).padStart(8)} s ${(operatorSeconds / baseline).toFixed(2).padStart(6)}x`);
    }
    const resync = await resyncWrites(op, total);
    const mb = async (metric: string): Promise<string> => ((await op.counter(`perpetual_operator_${metric}`)) / 1024 / 1024).toFixed(0);
    console.log(`resync with nothing changed: ${String(resync.writes)} API writes over ${String(resync.reconciles)} reconciles`);
    console.log(`operator memory with ${String(total)} PerpetualDeployments (${String(total * (CHILDREN_PER_PD + 1))} children cached): ` +
      `RSS ${await mb('process_resident_memory_bytes')} MB, heap used ${await mb('nodejs_heap_size_used_bytes')} MB of ${await mb('nodejs_heap_size_total_bytes')} MB, external ${await mb('nodejs_external_memory_bytes')} MB`);
  } finally {
    await op.stop();
    await cp.stop();
  }
}

await main();
