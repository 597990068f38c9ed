// Operator benchmark on the API profile (etcd + kube-apiserver, no controllers: nothing becomes
// Ready, so every object stays "waiting" and is requeued, the operator's worst steady state).
//
//   node test/bench/operator-convergence.ts [N ...]     (default: 1 100 1000)
//   OPERATOR_NODE_ARGS='--heapsnapshot-signal=SIGUSR2' adds flags to the operator's node
//
// For each N it measures, side by side in this process:
//   operator  time from creating N PerpetualDeployments until every child exists and every
//             status reports observedGeneration 1;
//   baseline  time for this process alone to server-side-apply the same children (the same
//             builders, same concurrency) with no informers, status or events: the floor the
//             API server sets. The ratio operator/baseline is the operator's overhead.
// Then, with everything converged: API writes during a full resync (goal 0) and the operator's
// resident memory (goal < 200 MB at N = 1000).
import { readFileSync } from 'node:fs';
import { PatchStrategy, Watch, type KubernetesObject } from '@kubernetes/client-node';
import { defaultedPerpetualDeployment } from '../../operator/api/v1alpha1/defaults.ts';
import { FIELD_MANAGER, Labels } from '../../operator/api/v1alpha1/labels.ts';
import { desiredObjects } from '../../operator/controllers/perpetual-deployment/desired.ts';
import { connect } from '../../operator/kube/client.ts';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { eventually } from '../support/eventually.ts';
import { cpuSnapshot } from './support/cpu.ts';
import { percentile } from './support/stats.ts';
import { perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { imageRuntime, sampleSum, startOperator, type OperatorProcess } from '../support/operator.ts';

/** Workers per controller in the operator, and parallel applies in the baseline: the same budget. */
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const CHILDREN_PER_PD = 13; // applied children + generated Secrets, excluding the migration Job
/** Short, so the benchmark sees a full resync soon; memory is sampled over one such period. */
const RESYNC_SECONDS = 20;

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

// Progress is followed with one watch per kind (not polling lists, which at N = 1000 would make
// the API server serialise every child once a second and slow the very thing being measured).
const CHILD_KINDS = [
  ['apps/v1', 'deployments'],
  ['apps/v1', 'statefulsets'],
  ['v1', 'services'],
  ['v1', 'configmaps'],
  ['v1', 'secrets'],
  ['policy/v1', 'poddisruptionbudgets'],
] as const;

interface Progress {
  done: Promise<void>;
  stop(): void;
}

/**
 * `done` resolves once `n` PerpetualDeployments report observedGeneration 1 and n × CHILDREN_PER_PD
 * children exist, and rejects after `timeoutMs`.
 */
async function watchProgress(cp: ControlPlane, namespace: string, n: number, timeoutMs: number): Promise<Progress> {
  const watch = new Watch(cp.kubeConfig());
  const children = new Set<string>();
  const observed = new Set<string>();
  let resolve: () => void = () => undefined;
  let reject: (err: unknown) => void = () => undefined;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const deadline = setTimeout(() => {
    reject(new Error(`not converged within ${String(timeoutMs)} ms`));
  }, timeoutMs);
  const check = (): void => {
    if (observed.size === n && children.size >= n * CHILDREN_PER_PD) resolve();
  };
  const prefix = (apiVersion: string): string => (apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
  const onError = (err: unknown): void => {
    if (err) reject(err);
  };
  const aborts = await Promise.all([
    ...CHILD_KINDS.map(([apiVersion, plural]) =>
      watch.watch(
        `${prefix(apiVersion)}/namespaces/${namespace}/${plural}`,
        { labelSelector: 'app.kubernetes.io/managed-by=perpetual-operator' },
        (type, obj: KubernetesObject) => {
          if (type === 'ADDED') children.add(`${plural}/${obj.metadata?.name ?? ''}`);
          check();
        },
        onError,
      ),
    ),
    watch.watch(
      `/apis/perpetual.ai/v1alpha1/namespaces/${namespace}/perpetualdeployments`,
      {},
      (_type, pd: KubernetesObject & { status?: { observedGeneration?: number } }) => {
        if (pd.status?.observedGeneration === 1) observed.add(pd.metadata?.name ?? '');
        check();
      },
      onError,
    ),
  ]);
  return {
    done,
    stop: () => {
      clearTimeout(deadline);
      for (const a of aborts) a.abort();
    },
  };
}

/** What the operator did per PerpetualDeployment during a run, and where the CPU went. */
async function runBreakdown<T>(op: OperatorProcess, n: number, run: () => Promise<T>): Promise<{ result: T; summary: string }> {
  const writesBefore = await op.countersBy('perpetual_operator_api_writes_total', 'verb');
  const reconcilesBefore = await op.counter('perpetual_operator_reconcile_total');
  const cpuBefore = cpuSnapshot(op.process.pid);
  const result = await run();
  const cpuAfter = cpuSnapshot(op.process.pid);
  const writesAfter = await op.countersBy('perpetual_operator_api_writes_total', 'verb');
  const perPd = (value: number): string => (value / n).toFixed(1);
  const writes = [...writesAfter].map(([verb, value]) => `${verb} ${perPd(value - (writesBefore.get(verb) ?? 0))}`).join(', ');
  const reconciles = (await op.counter('perpetual_operator_reconcile_total')) - reconcilesBefore;
  const operatorCpu = cpuAfter.process - cpuBefore.process;
  const othersCpu = cpuAfter.ours - cpuBefore.ours - operatorCpu;
  return {
    result,
    summary: `per PD: ${perPd(reconciles)} reconciles, writes ${writes}; CPU s: operator ${operatorCpu.toFixed(1)}, control plane + benchmark ${othersCpu.toFixed(1)}`,
  };
}

async function createNamespace(cp: ControlPlane, name: string): Promise<void> {
  await cp.kubectl(['create', 'namespace', name]);
  await cp.kubectl(['apply', '-n', name, '-f', '-'], secretsManifest());
}

async function operatorRun(cp: ControlPlane, n: number): Promise<number> {
  const namespace = `bench-op-${String(n)}`;
  await createNamespace(cp, namespace);
  const manifest = Array.from({ length: n }, (_, i) => perpetualDeployment(`pd-${String(i)}`)).join('---\n');
  const progress = await watchProgress(cp, namespace, n, 600_000);
  try {
    const started = performance.now();
    await cp.kubectl(['apply', '--server-side', '-n', namespace, '-f', '-'], manifest);
    await progress.done;
    return (performance.now() - started) / 1000;
  } finally {
    progress.stop();
  }
}

async function baselineRun(cp: ControlPlane, n: number): Promise<number> {
  const namespace = `bench-base-${String(n)}`;
  await createNamespace(cp, namespace);
  // The operator's own client (one pooled connection per context), so both sides pay the same per request.
  const api = connect(cp.kubeconfigPath).objects;
  const objects: KubernetesObject[] = [];
  for (let i = 0; i < n; i++) {
    const pd = defaultedPerpetualDeployment(
      { name: `pd-${String(i)}`, namespace, uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}` },
      {
        mode: 'proxy',
        database: { secretRef: { name: 'db' } },
        encryptionKeySecretRef: { name: 'enc' },
        models: [{ name: 'gpt-4o-mini', provider: 'openai' }],
      },
    );
    const desired = desiredObjects({
      pd,
      config: { images: { gateway: 'gateway:bench' }, namespace: 'perpetual-system' },
      modelServers: new Map(),
      referencedSecretsHash: 'x',
      databaseSecretHash: 'x',
      databaseUsable: true,
    });
    // Not labelled as the operator's, so its informers neither cache these nor react to them: the
    // operator stays idle during the baseline, and its memory later reflects its own objects only.
    objects.push(
      ...desired.objects.map((obj) => ({
        ...obj,
        metadata: { ...obj.metadata, labels: { ...obj.metadata?.labels, [Labels.managedBy]: 'benchmark-baseline' } },
      })),
    );
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
  await eventually(
    async () => {
      if ((await op.counter('perpetual_operator_reconcile_total')) - reconcilesBefore < total) throw new Error('resync pending');
    },
    300_000,
    500,
  );
  return {
    writes: (await op.counter('perpetual_operator_api_writes_total')) - writesBefore,
    reconciles: (await op.counter('perpetual_operator_reconcile_total')) - reconcilesBefore,
  };
}

interface MemorySample {
  rss: number;
  /** Pages of the node executable and other mapped files (shared, reclaimable). */
  file: number;
  heapCommitted: number;
  heapUsed: number;
  /** Buffers and other memory V8 objects hold outside the heap. */
  external: number;
}

/** A memory field of /proc/<pid>/status (VmRSS, RssFile, VmHWM...) in MB. */
function procStatusMb(pid: number | undefined, field: string): number {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024;
}

/** Resident memory from /proc with V8's own account from the operator's metrics, in MB. */
async function sampleMemory(op: OperatorProcess): Promise<MemorySample> {
  // One scrape per sample: each makes the operator compute its default metrics.
  const metrics = await op.metrics();
  const gauge = (name: string): number => sampleSum(metrics, `perpetual_operator_nodejs_${name}`) / 2 ** 20;
  return {
    rss: procStatusMb(op.process.pid, 'VmRSS'),
    file: procStatusMb(op.process.pid, 'RssFile'),
    heapCommitted: gauge('heap_size_total_bytes'),
    heapUsed: gauge('heap_size_used_bytes'),
    external: gauge('external_memory_bytes'),
  };
}

/** Memory sampled every second over `seconds`: the median of each part, the largest RSS, and the peak RSS so far. */
async function memoryOverOneResync(op: OperatorProcess, seconds: number, idle: MemorySample): Promise<string> {
  const samples: MemorySample[] = [];
  for (let i = 0; i < seconds; i++) {
    samples.push(await sampleMemory(op));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const median = (part: keyof MemorySample): string =>
    percentile(
      samples.map((s) => s[part]),
      50,
    ).toFixed(0);
  const peak = procStatusMb(op.process.pid, 'VmHWM');
  const rss = percentile(
    samples.map((s) => s.rss),
    50,
  );
  return (
    `RSS median ${median('rss')} MB, max ${Math.max(...samples.map((s) => s.rss)).toFixed(0)} MB, ` +
    `${(rss / idle.rss).toFixed(2)}x the same process idle before the first PerpetualDeployment (${idle.rss.toFixed(0)} MB, V8 heap ${idle.heapUsed.toFixed(0)} MB used); ` +
    `medians of the parts: mapped files ${median('file')}, V8 heap ${median('heapCommitted')} committed / ${median('heapUsed')} used, external ${median('external')}; ` +
    `peak RSS since start (VmHWM, includes converging) ${peak.toFixed(0)} MB`
  );
}

async function main(): Promise<void> {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  const ns = sizes.length > 0 ? sizes : [1, 100, 1000];
  const cp = await startControlPlane({ profile: 'api' });
  await cp.kubectl(['create', 'namespace', 'perpetual-system']);
  // Long requeue while waiting, so the resync measurement sees resyncs, not waiting requeues.
  // The operator runs as its image runs it: the bundled entry point, config/manager's memory settings.
  const image = await imageRuntime(cp.dir);
  const op = await startOperator({
    kubeconfigPath: cp.kubeconfigPath,
    entry: image.entry,
    nodeArgs: (process.env.OPERATOR_NODE_ARGS ?? '').split(' ').filter(Boolean),
    env: {
      ...image.env,
      RESYNC_SECONDS: String(RESYNC_SECONDS),
      WAITING_REQUEUE_MS: '600000',
      LOG_LEVEL: 'warn',
      CONCURRENCY: String(CONCURRENCY),
    },
  });
  try {
    // The memory baseline: the same operator process, synced and idle, before any PerpetualDeployment exists.
    const idle = await sampleMemory(op);
    console.log('N      operator   baseline   ratio');
    let total = 0;
    for (const n of ns) {
      const baseline = await baselineRun(cp, n);
      const { result: operatorSeconds, summary } = await runBreakdown(op, n, () => operatorRun(cp, n));
      total += n;
      console.log(
        `${String(n).padEnd(6)} ${operatorSeconds.toFixed(2).padStart(7)} s ${baseline.toFixed(2).padStart(8)} s ${(operatorSeconds / baseline).toFixed(2).padStart(6)}x   ${summary}`,
      );
    }
    const resync = await resyncWrites(op, total);
    console.log(`resync with nothing changed: ${String(resync.writes)} API writes over ${String(resync.reconciles)} reconciles`);
    const memory = await memoryOverOneResync(op, RESYNC_SECONDS, idle);
    console.log(
      `operator memory with ${String(total)} PerpetualDeployments (${String(total * (CHILDREN_PER_PD + 1))} children cached), ` +
        `sampled every second over one resync period (${String(RESYNC_SECONDS)} s): ${memory}`,
    );
  } finally {
    await op.stop();
    await cp.stop();
  }
}

await main();
