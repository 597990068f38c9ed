// How quickly the built-in autoscaler reacts to a load step, against its interval.
//
//   node test/bench/autoscaler-decision.ts
//   INTERVALS=1000,5000,10000 RUNS=8 node test/bench/autoscaler-decision.ts
//
// Runs on the cluster profile (kwok schedules the ModelServer's pods and makes them Ready). One
// ModelServer (inFlight, target 4, min 1, max 4, scaleDownDelaySeconds 0); its pods map, through
// ENDPOINT_MAP_FILE, to an idle llm-d-inference-sim. For each AUTOSCALER_INTERVAL_MS, RUNS times:
//   decision  after a random pause (so the step lands anywhere in the interval), the pods are
//             re-mapped to a loaded simulator (12 running requests: wants 3); measured from the
//             moment the map file says so until the ModelServer's scale subresource shows
//             replicas > 1, polled every 20 ms with GET .../scale;
//   baseline  the floor of "write a scale, see it": this process patches /scale itself and the
//             same poller sees it;
// then the pods go back to idle and the autoscaler scales back to 1 (delay 0) before the next run.
// The goal: every decision within one interval (the default interval is 5 s, at most 10 s). A step
// that lands just after a read is seen at the next one, a full interval later, and then written:
// so the worst case is the interval plus one read and one write (the baseline's order).
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { byLabel, startEndpointMap, type EndpointMap } from '../support/endpoint-map.ts';
import { eventually } from '../support/eventually.ts';
import { modelServer } from '../support/fixtures.ts';
import { startOperator } from '../support/operator.ts';

const INTERVALS = (process.env.INTERVALS ?? '1000,5000,10000').split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? 5);
const POLL_MS = 20;
const MS = 'bench';
const MS_LABEL = 'perpetual.ai/modelserver';

interface Scale {
  spec?: { replicas?: number };
}

function scaleApi(cp: ControlPlane, namespace: string) {
  const api = cp.kubeConfig().makeApiClient(CustomObjectsApi);
  const ref = { group: 'perpetual.ai', version: 'v1alpha1', namespace, plural: 'modelservers', name: MS };
  return {
    replicas: async (): Promise<number> => ((await api.getNamespacedCustomObjectScale(ref)) as Scale).spec?.replicas ?? 0,
    set: async (replicas: number): Promise<void> => {
      await api.patchNamespacedCustomObjectScale(
        { ...ref, body: { spec: { replicas } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    },
  };
}

/** Milliseconds from now until `done()` holds, polled every POLL_MS. */
async function timeUntil(done: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!(await done())) {
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return performance.now() - started;
}

function stats(values: number[]): { median: number; mean: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? 0,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    max: sorted.at(-1) ?? 0,
  };
}

interface Sims {
  idle: InferenceSim;
  loaded: InferenceSim;
}

async function measureInterval(cp: ControlPlane, sims: Sims, intervalMs: number): Promise<{ decisions: number[]; baselines: number[] }> {
  const namespace = `bench-autoscale-${String(intervalMs)}`;
  await cp.kubectl(['create', 'namespace', namespace]);
  const endpoints: EndpointMap = startEndpointMap(cp.kubeConfig(), namespace);
  const route = (url: string) => byLabel([{ label: MS_LABEL, value: MS, url }]);
  await endpoints.setRoute(route(sims.idle.url));
  const op = await startOperator({
    kubeconfigPath: cp.kubeconfigPath,
    entry: process.env.OPERATOR_ENTRY,
    env: { AUTOSCALER_INTERVAL_MS: String(intervalMs), ENDPOINT_MAP_FILE: endpoints.file, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  });
  const scale = scaleApi(cp, namespace);
  const decisions: number[] = [];
  const baselines: number[] = [];
  try {
    await cp.kubectl(
      ['apply', '-n', namespace, '-f', '-'],
      modelServer(MS, {
        replicas: 1,
        autoscaling: { minReplicas: 1, maxReplicas: 4, metric: 'inFlight', target: 4, scaleDownDelaySeconds: 0 },
      }),
    );
    await eventually(
      async () => {
        const out = await cp.kubectl(['get', 'ms', MS, '-n', namespace, '-o', 'jsonpath={.status.readyReplicas}']);
        if (out.stdout !== '1') throw new Error('waiting for a ready replica');
      },
      120_000,
      200,
    );
    for (let run = 0; run < RUNS; run++) {
      // Somewhere in the interval, so that the mean says something about the phase.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * intervalMs));
      await endpoints.setRoute(route(sims.loaded.url));
      decisions.push(await timeUntil(async () => (await scale.replicas()) > 1, 3 * intervalMs + 10_000));
      await endpoints.setRoute(route(sims.idle.url));
      await timeUntil(async () => (await scale.replicas()) === 1, 3 * intervalMs + 10_000);

      // The floor, with the same poller: a scale this process writes itself (the idle autoscaler puts it back to 1).
      const started = performance.now();
      await scale.set(2);
      await timeUntil(async () => (await scale.replicas()) === 2, 10_000);
      baselines.push(performance.now() - started);
      await timeUntil(async () => (await scale.replicas()) === 1, 3 * intervalMs + 10_000);
    }
  } catch (err) {
    // What the operator was doing is the first thing to look at.
    console.error(op.logs().split('\n').slice(-80).join('\n'));
    const pods = await cp.kubectl([
      'get',
      'pods',
      '-n',
      namespace,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.metadata.deletionTimestamp} {.status.phase} {.status.conditions}{"\\n"}{end}',
    ]);
    const nodes = await cp.kubectl([
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")]}{"\\n"}{end}',
    ]);
    console.error(pods.stdout, nodes.stdout, JSON.stringify(endpoints.current()), cp.dir);
    throw err;
  } finally {
    await op.stop();
    await endpoints.stop();
    await cp.kubectl(['delete', 'namespace', namespace, '--wait=true', '--timeout=60s']);
  }
  return { decisions, baselines };
}

async function main(): Promise<void> {
  const cp = await startControlPlane({ profile: 'cluster' });
  await cp.kubectl(['create', 'namespace', 'perpetual-system']);
  const sims: Sims = {
    idle: await startInferenceSim({ fakeMetrics: { 'running-requests': 0, 'waiting-requests': 0, 'kv-cache-usage': 0 } }),
    loaded: await startInferenceSim({ fakeMetrics: { 'running-requests': 12, 'waiting-requests': 0, 'kv-cache-usage': 0.5 } }),
  };
  const summary: Record<string, unknown>[] = [];
  try {
    console.log(`load step → scale written (${String(RUNS)} runs per interval; baseline: this process's own /scale write, same poller)`);
    console.log('interval   decision median   mean      max      max/interval   baseline median   decision/baseline');
    for (const intervalMs of INTERVALS) {
      const { decisions, baselines } = await measureInterval(cp, sims, intervalMs);
      const d = stats(decisions);
      const b = stats(baselines);
      console.log(
        `${String(intervalMs).padStart(6)} ms ${d.median.toFixed(0).padStart(10)} ms ${d.mean.toFixed(0).padStart(7)} ms ${d.max.toFixed(0).padStart(6)} ms ` +
          `${(d.max / intervalMs).toFixed(2).padStart(10)}x ${b.median.toFixed(0).padStart(14)} ms ${(d.median / b.median).toFixed(1).padStart(14)}x`,
      );
      summary.push({
        intervalMs,
        decisionsMs: decisions.map(Math.round),
        baselinesMs: baselines.map(Math.round),
        withinOneInterval: d.max <= intervalMs,
      });
    }
    console.log(JSON.stringify(summary));
  } finally {
    await sims.idle.stop();
    await sims.loaded.stop();
    await cp.stop();
  }
}

await main();
