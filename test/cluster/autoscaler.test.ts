// The built-in autoscaler on a scheduling cluster (kwok): replicas follow simulated vLLM load to
// max and back to zero, a missing GPU or a missing metric is named in status, gateway demand wakes
// a model at zero, and the hpa/keda engines get their objects instead. Simulated pods cannot be
// dialled, so the operator reads them through ENDPOINT_MAP_FILE: every pod maps to a loopback
// llm-d-inference-sim (with forced gauges) or a fake metrics server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { byLabel, startEndpointMap, type EndpointMap } from '../support/endpoint-map.ts';
import { eventually } from '../support/eventually.ts';
import { modelServer, perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { parseTable, testCluster } from '../support/kube.ts';
import { startMetricsServer, type MetricsServer } from '../support/metrics-server.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';
import { SERVER_DEV_MODE_ENV, SLEEP_MODE_FLAG } from '../../operator/controllers/model-server/sleep-mode.ts';

const INTERVAL_MS = 1000;
const MS_LABEL = 'perpetual.ai/modelserver';
const cluster = testCluster();
let ns = '';
let operator: OperatorProcess;
let endpoints: EndpointMap;
let loaded: InferenceSim;
let idle: InferenceSim;
/** An idle replica in vLLM sleep mode (the flag and environment the operator writes for a standby). */
let sleepy: InferenceSim;
let noWaitingGauge: MetricsServer;
let gateway: MetricsServer;
let kedaCrdInstalled = false;

interface ScaleEvent {
  time: string;
  from: number;
  to: number;
  reason: string;
}
interface Ms {
  spec: { replicas?: number };
  status?: {
    readyReplicas?: number;
    sleepingReplicas?: number;
    lastScale?: ScaleEvent;
    scalingHistory?: ScaleEvent[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

async function getMs(name: string): Promise<Ms> {
  return JSON.parse(await cluster.kubectlOk(['get', 'ms', name, '-n', ns, '-o', 'json'])) as Ms;
}

function conditionOf(ms: Ms, type: string) {
  return ms.status?.conditions?.find((c) => c.type === type);
}

async function apply(manifest: string): Promise<void> {
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest);
}

/** Deletes a ModelServer and waits until its pods are gone, so the next test has the GPUs back. */
async function deleteModelServer(name: string): Promise<void> {
  await cluster.kubectlOk(['delete', 'ms', name, '-n', ns, '--wait=true', '--timeout=60s']);
  await eventually(
    async () => {
      expect((await cluster.kubectlOk(['get', 'pods', '-n', ns, '-l', `${MS_LABEL}=${name}`, '-o', 'name'])).trim()).toBe('');
    },
    60_000,
    300,
  );
}

/** Waits until the autoscaler has scaled `name` as `lastScale` says, and returns the ModelServer. */
async function scaledAs(name: string, lastScale: Omit<ScaleEvent, 'time'>, timeoutMs: number): Promise<Ms> {
  return eventually(async () => {
    const obj = await getMs(name);
    expect(obj.spec.replicas).toBe(lastScale.to);
    expect(obj.status?.lastScale).toMatchObject(lastScale);
    return obj;
  }, timeoutMs);
}

async function warningReasons(name: string): Promise<string> {
  return cluster.kubectlOk([
    'get',
    'events',
    '-n',
    ns,
    '--field-selector',
    `involvedObject.name=${name},type=Warning`,
    '-o',
    'jsonpath={.items[*].reason}',
  ]);
}

const autoscaling = (settings: Record<string, unknown>) => ({ autoscaling: { metric: 'inFlight', target: 2, ...settings } });

const KEDA_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: scaledobjects.keda.sh}
spec:
  group: keda.sh
  scope: Namespaced
  names: {kind: ScaledObject, listKind: ScaledObjectList, plural: scaledobjects, singular: scaledobject}
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`;

beforeAll(async () => {
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  ns = await cluster.createNamespace('autoscale');
  await apply(secretsManifest());
  [loaded, idle, sleepy, noWaitingGauge, gateway] = await Promise.all([
    startInferenceSim({ fakeMetrics: { 'running-requests': 12, 'waiting-requests': 0, 'kv-cache-usage': 0.9 } }),
    startInferenceSim({ fakeMetrics: { 'running-requests': 0, 'waiting-requests': 0, 'kv-cache-usage': 0 } }),
    startInferenceSim({
      fakeMetrics: { 'running-requests': 0, 'waiting-requests': 0, 'kv-cache-usage': 0 },
      args: [SLEEP_MODE_FLAG],
      env: { [SERVER_DEV_MODE_ENV]: '1' },
    }),
    // A "vLLM" that exports running requests but not vllm:num_requests_waiting.
    startMetricsServer('vllm:num_requests_running{model_name="m"} 0\n'),
    startMetricsServer('perpetual_queued_requests{model="cold-model"} 0\nperpetual_inflight_requests{model="cold-model"} 0\n'),
  ]);
  endpoints = startEndpointMap(cluster.kubeConfig(), ns);
  await endpoints.setRoute(
    byLabel([
      { label: MS_LABEL, value: 'loaded', url: loaded.url },
      { label: MS_LABEL, value: 'idle', url: idle.url },
      { label: MS_LABEL, value: 'sleepy', url: sleepy.url },
      { label: MS_LABEL, value: 'blind', url: noWaitingGauge.url },
      { label: MS_LABEL, value: 'cold', url: idle.url },
      { label: MS_LABEL, value: 'by-hpa', url: loaded.url },
      { label: MS_LABEL, value: 'greedy', url: loaded.url },
      { label: 'perpetual.ai/perpetualdeployment', value: 'stack', url: gateway.url },
    ]),
  );
  operator = await startOperator({
    kubeconfigPath: cluster.kubeconfigPath,
    env: { AUTOSCALER_INTERVAL_MS: String(INTERVAL_MS), ENDPOINT_MAP_FILE: endpoints.file },
  });
}, 120_000);

afterAll(async () => {
  await operator.stop();
  await endpoints.stop();
  await Promise.all([loaded.stop(), idle.stop(), sleepy.stop(), noWaitingGauge.stop(), gateway.stop()]);
  // The GPU test files share this cluster: give the GPUs this file's ModelServers hold back.
  await cluster.kubectlOk(['delete', 'namespace', ns, '--wait=true', '--timeout=90s']);
  if (kedaCrdInstalled) await cluster.kubectlOk(['delete', 'crd', 'scaledobjects.keda.sh', '--wait=true', '--timeout=60s']);
}, 180_000);

describe('the built-in autoscaler', () => {
  it('raises replicas under load at once, stops at maxReplicas and says so, as kubectl get shows', async () => {
    await apply(modelServer('loaded', { replicas: 1, ...autoscaling({ minReplicas: 1, maxReplicas: 3, scaleDownDelaySeconds: 300 }) }));
    const ms = await eventually(async () => {
      const obj = await getMs('loaded');
      expect(obj.spec.replicas).toBe(3);
      expect(obj.status?.lastScale).toMatchObject({
        from: 1,
        to: 3,
        reason: '12 requests in flight across 1 replica, target 2 per replica: wants 6, capped at maxReplicas 3: scaling 1 → 3.',
      });
      expect(conditionOf(obj, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'MaxReplicas' });
      return obj;
    }, 60_000);
    expect(ms.status?.scalingHistory?.[0]).toEqual(ms.status?.lastScale);
    expect(conditionOf(ms, 'ScalingActive')).toMatchObject({ status: 'True', reason: 'BuiltinAutoscaler' });
    await eventually(async () => {
      const [row] = parseTable(await cluster.kubectlOk(['get', 'ms', 'loaded', '-n', ns, '-o', 'wide']));
      expect(row).toMatchObject({ REPLICAS: '3/3', 'MIN-MAX': '1-3' });
      expect(row?.['LAST-SCALE']).toMatch(/^\d+s$/);
    }, 60_000);
    const normal = await cluster.eventMessages(ns, 'loaded', 'Scaled');
    expect(normal).toContain('scaling 1 → 3');
    expect(await operator.counter('perpetual_operator_autoscaler_decisions_total')).toBeGreaterThan(0);
    expect(await operator.metrics()).toMatch(
      new RegExp(`perpetual_operator_autoscaler_desired_replicas\\{namespace="${ns}",modelserver="loaded"\\} 3`),
    );
    await deleteModelServer('loaded');
  }, 150_000);

  it('scales an idle model to zero only after scaleDownDelaySeconds', async () => {
    await apply(modelServer('idle', { replicas: 1, ...autoscaling({ minReplicas: 0, maxReplicas: 2, scaleDownDelaySeconds: 3 }) }));
    await eventually(async () => {
      expect((await getMs('idle')).status?.readyReplicas).toBe(1);
    }, 60_000);
    // Ready and read as idle, but not idle for 3 s yet.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await getMs('idle')).spec.replicas).toBe(1);
    const ms = await scaledAs(
      'idle',
      { from: 1, to: 0, reason: '0 requests in flight across 1 replica, target 2 per replica: scaling 1 → 0.' },
      30_000,
    );
    expect(conditionOf(ms, 'ScalingLimited')?.status).toBe('False');
    await eventually(async () => {
      expect(conditionOf(await getMs('idle'), 'Ready')).toMatchObject({ status: 'True', reason: 'ScaledToZero' });
    });
    await deleteModelServer('idle');
  }, 120_000);

  it('with a standby, puts the idle replica to sleep instead of scaling to zero, and gives a woken one a full window', async () => {
    const isSleeping = async () => ((await (await fetch(`${sleepy.url}/is_sleeping`)).json()) as { is_sleeping: boolean }).is_sleeping;
    await apply(
      modelServer('sleepy', { replicas: 1, ...autoscaling({ minReplicas: 0, maxReplicas: 2, scaleDownDelaySeconds: 3, standby: {} }) }),
    );
    await eventually(async () => {
      expect((await getMs('sleepy')).status?.sleepingReplicas).toBe(1);
    }, 60_000);
    expect(await isSleeping()).toBe(true);
    expect((await getMs('sleepy')).spec.replicas).toBe(1);
    await eventually(async () => {
      const [row] = parseTable(await cluster.kubectlOk(['get', 'ms', 'sleepy', '-n', ns]));
      expect(row).toMatchObject({ REPLICAS: '1/1 (1 asleep)', 'MIN-MAX': '0-2' });
    });
    const slept = await cluster.eventMessages(ns, 'sleepy', 'Slept');
    expect(slept).toContain('No load for 3 s: putting 1 replica to sleep (vLLM sleep level 1), freeing GPU memory');
    // A gateway wakes it for a request: the operator reads it awake, and waits a whole window before sleeping it again.
    const wokenAt = Date.now();
    expect((await fetch(`${sleepy.url}/wake_up`, { method: 'POST' })).ok).toBe(true);
    await eventually(async () => {
      expect((await getMs('sleepy')).status?.sleepingReplicas).toBe(0);
    }, 30_000);
    await eventually(async () => {
      expect(await isSleeping()).toBe(true);
    }, 30_000);
    expect(Date.now() - wokenAt).toBeGreaterThanOrEqual(3000);
    expect((await getMs('sleepy')).spec.replicas).toBe(1);
    await deleteModelServer('sleepy');
  }, 150_000);

  it('names a metric no replica exports (MetricsUnavailable) and never scales down on missing data', async () => {
    await apply(
      modelServer('blind', {
        replicas: 1,
        ...autoscaling({ metric: 'queueDepth', minReplicas: 0, maxReplicas: 3, scaleDownDelaySeconds: 0 }),
      }),
    );
    await eventually(async () => {
      const limited = conditionOf(await getMs('blind'), 'ScalingLimited');
      expect(limited).toMatchObject({ status: 'True', reason: 'MetricsUnavailable' });
      expect(limited?.message).toContain('vllm:num_requests_waiting is exported by none of the 1 replica that answered');
    }, 60_000);
    await eventually(async () => {
      expect(await warningReasons('blind')).toContain('MetricsUnavailable');
    });
    // With a delay of 0 and minReplicas 0, a missing value read as zero would scale to 0 at once.
    await new Promise((resolve) => setTimeout(resolve, 4 * INTERVAL_MS));
    const ms = await getMs('blind');
    expect(ms.spec.replicas).toBe(1);
    expect(ms.status?.lastScale).toBeUndefined();
    await deleteModelServer('blind');
  }, 120_000);

  it('scales 0 → 1 on requests queued at the gateway', async () => {
    await apply(
      perpetualDeployment('stack', {
        mode: 'local',
        gateway: { replicas: 1 },
        models: [{ name: 'cold-model', modelServerRef: { name: 'cold' } }],
      }),
    );
    await apply(modelServer('cold', { replicas: 0, ...autoscaling({ minReplicas: 0, maxReplicas: 2, scaleDownDelaySeconds: 300 }) }));
    // The gateway pod is up and read (its queue empty): zero stays zero.
    await eventually(() => {
      expect(gateway.hits()).toBeGreaterThan(1);
    }, 90_000);
    expect((await getMs('cold')).spec.replicas).toBe(0);

    gateway.set(
      'perpetual_queued_requests{model="cold-model"} 1\nperpetual_queued_requests{model="another-model"} 40\nperpetual_inflight_requests{model="cold-model"} 1\n',
    );
    const ms = await scaledAs(
      'cold',
      { from: 0, to: 1, reason: '1 request queued at the gateway with 0 replicas: scaling 0 → 1.' },
      30_000,
    );
    expect(conditionOf(ms, 'ScalingLimited')?.status).toBe('False');
    gateway.set('');
    await cluster.kubectlOk(['delete', 'pd', 'stack', '-n', ns, '--wait=true']);
    await deleteModelServer('cold');
  }, 150_000);

  it('reports InsufficientGPU with a Warning event when new replicas cannot be scheduled', async () => {
    // 4 GPUs per replica, 3 replicas wanted: two nodes of 4 GPUs place two at most.
    await apply(
      modelServer('greedy', {
        gpu: { count: 4 },
        replicas: 1,
        ...autoscaling({ minReplicas: 1, maxReplicas: 3, target: 1, scaleDownDelaySeconds: 300 }),
      }),
    );
    await eventually(async () => {
      const ms = await getMs('greedy');
      expect(ms.spec.replicas).toBe(3);
      expect(conditionOf(ms, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'InsufficientGPU' });
      expect(conditionOf(ms, 'ScalingLimited')?.message).toContain('Insufficient nvidia.com/gpu');
    }, 90_000);
    await eventually(async () => {
      expect(await warningReasons('greedy')).toContain('InsufficientGPU');
    });
    await deleteModelServer('greedy');
  }, 150_000);
});

describe('other engines', () => {
  it("hpa: an autoscaling/v2 HPA on the ModelServer's scale subresource, and the built-in autoscaler keeps out", async () => {
    await apply(modelServer('by-hpa', { replicas: 1, ...autoscaling({ engine: 'hpa', minReplicas: 1, maxReplicas: 4 }) }));
    await eventually(async () => {
      const hpa = JSON.parse(await cluster.kubectlOk(['get', 'hpa', 'by-hpa-vllm', '-n', ns, '-o', 'json'])) as {
        spec: { scaleTargetRef: unknown; metrics: { pods: { metric: { name: string } } }[] };
      };
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'perpetual.ai/v1alpha1', kind: 'ModelServer', name: 'by-hpa' });
      expect(hpa.spec.metrics[0]?.pods.metric.name).toBe('vllm_num_requests_running');
      expect(conditionOf(await getMs('by-hpa'), 'ScalingActive')).toMatchObject({ status: 'True', reason: 'HorizontalPodAutoscaler' });
    }, 60_000);
    // Its pods report 12 requests each; the built-in autoscaler would have raised it by now.
    await eventually(async () => {
      expect((await getMs('by-hpa')).status?.readyReplicas).toBe(1);
    }, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS));
    expect((await getMs('by-hpa')).spec.replicas).toBe(1);
    await deleteModelServer('by-hpa');
    await eventually(async () => {
      expect((await cluster.kubectlOk(['get', 'hpa', '-n', ns, '-o', 'name'])).trim()).toBe('');
    });
  }, 150_000);

  it('keda: says KEDA is not installed, and applies a ScaledObject once the cluster serves it', async () => {
    await apply(modelServer('by-keda', { replicas: 1, ...autoscaling({ engine: 'keda', minReplicas: 0, maxReplicas: 2 }) }));
    await eventually(async () => {
      expect(conditionOf(await getMs('by-keda'), 'ScalingActive')).toMatchObject({ status: 'False', reason: 'KEDANotInstalled' });
    }, 60_000);
    expect((await cluster.kubectl(['get', 'scaledobjects.keda.sh', '-n', ns])).code).not.toBe(0);
    expect(operator.logs()).not.toMatch(/forbidden|HTTP 403/i);

    kedaCrdInstalled = true;
    await cluster.kubectlOk(['apply', '-f', '-'], KEDA_CRD);
    await eventually(async () => {
      const so = JSON.parse(await cluster.kubectlOk(['get', 'scaledobjects.keda.sh', 'by-keda-vllm', '-n', ns, '-o', 'json'])) as {
        spec: {
          scaleTargetRef: unknown;
          minReplicaCount: number;
          triggers: { type: string; metadata: { serverAddress: string; query: string } }[];
        };
      };
      expect(so.spec.scaleTargetRef).toEqual({ apiVersion: 'perpetual.ai/v1alpha1', kind: 'ModelServer', name: 'by-keda' });
      expect(so.spec.minReplicaCount).toBe(0);
      expect(so.spec.triggers[0]).toMatchObject({
        type: 'prometheus',
        metadata: { serverAddress: 'http://prometheus-operated.monitoring.svc:9090' },
      });
      expect(conditionOf(await getMs('by-keda'), 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ScaledObject' });
    }, 60_000);
    await deleteModelServer('by-keda');
  }, 150_000);
});
