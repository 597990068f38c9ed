// Serving on real pods of the simulator (issue 19): a ModelServer fronted by a local-mode stack's
// gateway, the operator running in-cluster as pods. A real scale from zero gives a cold-start
// breakdown whose phases come from the kubelet's and the scheduler's stamps on the new pod; the
// operator then keeps that running pod's LoRA adapters equal to spec.adapters through vLLM's
// dynamic API (the simulator's /v1/load_lora_adapter and /v1/unload_lora_adapter, dialled at the
// pod's IP), without rolling it, and the gateway's Service answers `<model>:<adapter>` with it.
// The test reads the simulator itself at the pod's IP (from the node, on the bridge) to see what
// it holds. The image's entry point (vllm-compat) answers two things as vLLM does where the
// simulator does not: a LoRA load whose path it cannot find is refused (404 NotFoundError), and
// inference while asleep gets a 503. So a refused adapter and a warm standby (a second ModelServer
// on the same stack, autoscaling.standby, put to sleep by the operator and woken by the gateway) are
// proven here too.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ModelServerStatus } from '../../operator/api/v1alpha1/model-server.ts';
import { eventually } from '../support/eventually.ts';
import { parseTable, testCluster } from '../support/kube.ts';
import {
  createStackNamespace,
  gatewayAccess,
  gatewayCall,
  type GatewayReply,
  installOperator,
  kubeJson,
  localStackManifest,
  modelServerManifest,
  newApiKey,
} from '../support/node-stack.ts';

const cluster = testCluster();
const images = inject('images');
const NS = 'e2e-serving';
const MS = 'lora';
const SERVED = 'sim-lora';
const sql = { name: 'sql', source: 'hf://perpetual-e2e/sql-lora' };
const support = { name: 'support', source: 'hf://perpetual-e2e/support-lora' };
/** A URL vLLM cannot load (no resolver plugin): refused by the pod's entry point as vLLM refuses it. */
const bad = { name: 'bad', source: 'https://adapters.invalid/bad' };
const STANDBY = 'standby';
const STANDBY_SERVED = 'sim-standby';

type ColdStart = NonNullable<ModelServerStatus['lastColdStart']>;
interface Ms {
  metadata: { generation: number };
  spec: { replicas?: number };
  status?: ModelServerStatus;
}
interface Pod {
  metadata: { name: string; uid: string; creationTimestamp: string; deletionTimestamp?: string };
  status: {
    podIP?: string;
    conditions?: { type: string; status: string; lastTransitionTime: string }[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number; state: { running?: { startedAt: string } } }[];
  };
}

let gatewayUrl = '';
let apiKey = '';

function modelServer(spec: Record<string, unknown>): string {
  return modelServerManifest(images, { name: MS, namespace: NS, model: 'perpetual-e2e/lora-base', servedName: SERVED }, spec);
}

async function getMs(name = MS): Promise<Ms> {
  return kubeJson<Ms>(cluster, ['get', 'ms', name, '-n', NS]);
}

/** The namespace's pods matching a label selector. */
async function podsLabelled(selector: string): Promise<Pod[]> {
  return (await kubeJson<{ items: Pod[] }>(cluster, ['get', 'pods', '-n', NS, '-l', selector])).items;
}

/** The ModelServer's vLLM pods that are not going away. */
async function vllmPods(name = MS): Promise<Pod[]> {
  return (await podsLabelled(`perpetual.ai/modelserver=${name},app.kubernetes.io/component=vllm`)).filter(
    (p) => !p.metadata.deletionTimestamp,
  );
}

async function onlyPod(name = MS): Promise<Pod> {
  const pods = await vllmPods(name);
  expect(pods.map((p) => p.metadata.name)).toHaveLength(1);
  return pods[0] as Pod;
}

/** What the simulator in the pod says it serves: its adapters are the entries with a parent. */
async function adaptersOnPod(pod: Pod): Promise<string[]> {
  const res = await fetch(`http://${pod.status.podIP ?? ''}:8000/v1/models`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { data: { id: string; parent?: string | null }[] };
  return body.data.flatMap((m) => (m.parent ? [m.id] : [])).sort();
}

/** A chat straight to the simulator in the pod, bypassing the gateway. */
async function chatOnPod(pod: Pod, model: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://${pod.status.podIP ?? ''}:8000/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: `straight to ${model}` }] }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** What the simulator in the pod says of its sleep (vLLM's dev-mode endpoint, which the operator and the gateway read). */
async function sleepingOnPod(pod: Pod): Promise<boolean> {
  const res = await fetch(`http://${pod.status.podIP ?? ''}:8000/is_sleeping`, { signal: AbortSignal.timeout(5_000) });
  return ((await res.json()) as { is_sleeping: boolean }).is_sleeping;
}

async function chat(model: string, content: string): Promise<GatewayReply> {
  return gatewayCall(gatewayUrl, '/v1/chat/completions', {
    method: 'POST',
    token: apiKey,
    body: { model, messages: [{ role: 'user', content }] },
    timeoutMs: 30_000,
  });
}

/** Waits (the gateway's pod may still roll for a new routing file) until the gateway answers `model` 404 model_not_found quoting `text`. */
async function gatewayAnswersNotFound(model: string, text: string): Promise<void> {
  await eventually(
    async () => {
      const r = await chat(model, 'Anyone there?');
      expect(r.status).toBe(404);
      expect(r.body.error).toMatchObject({ code: 'model_not_found', message: expect.stringContaining(text) as unknown });
    },
    150_000,
    1000,
  );
}

/** Base-model chats back to back until stopped, as a client keeps sending them through a gateway roll. */
function backgroundChats(): { stop(): Promise<{ statuses: number[]; failures: string[] }> } {
  let running = true as boolean;
  const statuses: number[] = [];
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      try {
        statuses.push((await chat(SERVED, 'Sent while the gateway rolls.')).status);
      } catch (err) {
        const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
        failures.push(`${err instanceof Error ? err.message : String(err)}${cause}`);
      }
      // At most ten a second: under the enterprise tier's 1,000 a minute for as long as a roll takes.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { statuses, failures };
    },
  };
}

/** The gateway's pods, terminating ones included. */
async function gatewayPodNames(): Promise<string[]> {
  return (await podsLabelled('app.kubernetes.io/instance=stack,app.kubernetes.io/component=gateway')).map((p) => p.metadata.name);
}

async function setAdapters(adapters: unknown[]): Promise<void> {
  await cluster.kubectlOk(['patch', 'ms', MS, '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { adapters } })]);
}

async function deploymentGeneration(): Promise<number> {
  return (await kubeJson<{ metadata: { generation: number } }>(cluster, ['get', 'deployment', `${MS}-vllm`, '-n', NS])).metadata.generation;
}

function stamp(value: string | undefined): number {
  const ms = Date.parse(value ?? '');
  if (Number.isNaN(ms)) throw new Error(`not a time: ${String(value)}`);
  return ms;
}

beforeAll(async () => {
  await installOperator(cluster, images);
  await createStackNamespace(cluster, NS, inject('postgresUrl'));
  // Held at zero replicas (no autoscaler) so that the first replica is a scale from zero by hand.
  await cluster.kubectlOk(['apply', '-f', '-'], modelServer({ replicas: 0, adapters: [sql] }));
  // The standby starts now, with the stack: the operator keeps one replica of it and puts it to
  // sleep once idle for 3 s, while the tests above run (its model is in the gateway's file from the
  // start, so it costs no gateway roll).
  await cluster.kubectlOk(
    ['apply', '-f', '-'],
    modelServerManifest(
      images,
      { name: STANDBY, namespace: NS, model: 'perpetual-e2e/standby-base', servedName: STANDBY_SERVED },
      { autoscaling: { minReplicas: 0, maxReplicas: 1, scaleDownDelaySeconds: 3, standby: {} } },
    ),
  );
  await cluster.kubectlOk(
    ['apply', '-f', '-'],
    localStackManifest(
      images,
      inject('externalQdrantUrl'),
      { name: 'stack', namespace: NS },
      {
        gatewayReplicas: 1,
        models: [
          { name: SERVED, modelServerRef: { name: MS } },
          { name: STANDBY_SERVED, modelServerRef: { name: STANDBY } },
        ],
      },
    ),
  );
  await cluster.kubectlOk(['wait', '--for=condition=Ready', 'pd/stack', '-n', NS, '--timeout=300s']);
  const access = await gatewayAccess(cluster, NS, 'stack');
  gatewayUrl = access.url;
  // Ready pods are not yet a routed Service: kube-proxy refuses the connection until it has
  // written the Service's endpoints into iptables (seen when the node is busy).
  await eventually(
    async () => {
      expect((await gatewayCall(gatewayUrl, '/health', { timeoutMs: 5_000 })).status).toBe(200);
    },
    60_000,
    500,
  );
  ({ apiKey } = await newApiKey(gatewayUrl, access.adminToken, `serving-${String(Date.now())}@example.com`, 'enterprise'));
}, 600_000);

afterAll(async () => {
  // Every object goes with the namespace. Not waited for (gateway pods take their preStop wait):
  // the node's 4 GPUs leave the next file its own, and the harness stops the node afterwards.
  await cluster.kubectlOk(['delete', 'namespace', NS, '--wait=false']);
});

describe('the cold-start breakdown of a real pod', () => {
  it('is in status and in a ColdStart event after a scale from zero, from the pod’s own stamps', async () => {
    expect((await getMs()).status?.lastColdStart).toBeUndefined();
    await cluster.kubectlOk(['scale', `ms/${MS}`, '-n', NS, '--replicas=1']);
    const ms = await eventually(
      async () => {
        const obj = await getMs();
        expect(obj.status?.readyReplicas).toBe(1);
        expect(obj.status?.lastColdStart).toBeDefined();
        return obj;
      },
      120_000,
      500,
    );
    const start = ms.status?.lastColdStart as ColdStart;
    const pod = await onlyPod();
    expect(start.pod).toBe(pod.metadata.name);

    // The stamps the kubelet and the scheduler put on the pod, in order.
    const created = stamp(pod.metadata.creationTimestamp);
    const scheduled = stamp(pod.status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime);
    const vllm = pod.status.containerStatuses?.find((c) => c.name === 'vllm');
    expect(vllm?.restartCount).toBe(0);
    const started = stamp(vllm?.state.running?.startedAt);
    const ready = stamp(pod.status.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime);
    expect([created, scheduled, started, ready]).toEqual([created, scheduled, started, ready].sort((a, b) => a - b));
    // A real container starts, then passes its startup probe (/health) and its readiness probe
    // (/v1/models): the start is not instant, whereas kwok marks a pod ready in the second it is made.
    expect(ready).toBeGreaterThan(created);

    // Every phase present, each the span between two of those stamps, and together the whole.
    expect(stamp(start.createdAt)).toBe(created);
    expect(start).toEqual({
      pod: pod.metadata.name,
      createdAt: start.createdAt,
      scheduledSeconds: (scheduled - created) / 1000,
      startedSeconds: (started - scheduled) / 1000,
      loadedSeconds: (ready - started) / 1000,
      totalSeconds: (ready - created) / 1000,
    });
    const phases = [start.scheduledSeconds, start.startedSeconds ?? -1, start.loadedSeconds ?? -1];
    for (const seconds of phases) expect(seconds).toBeGreaterThanOrEqual(0);
    expect(start.totalSeconds).toBeGreaterThan(0);
    expect(phases.reduce((a, b) => a + b, 0)).toBeCloseTo(start.totalSeconds, 5);

    const message = await eventually(async () => {
      const text = await cluster.eventMessages(NS, MS, 'ColdStart');
      expect(text).not.toBe('');
      return text;
    }, 30_000);
    expect(message).toBe(
      `Replica ${pod.metadata.name} ready ${String(start.totalSeconds)}s after creation: ` +
        `scheduled ${String(start.scheduledSeconds)}s, image pulled and started ${String(start.startedSeconds)}s, ` +
        `weights loaded ${String(start.loadedSeconds)}s.`,
    );
  }, 180_000);
});

describe('LoRA adapters on the running simulator pod', () => {
  let podUid = '';
  let generation = 0;
  let gatewayBefore: string[] = [];
  let traffic: ReturnType<typeof backgroundChats> | undefined;

  /** The pod that served before, unrolled: same UID, never restarted, the Deployment's template unchanged. */
  async function samePodAsBefore(): Promise<Pod> {
    const pod = await onlyPod();
    expect(pod.metadata.uid).toBe(podUid);
    expect(pod.status.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(await deploymentGeneration()).toBe(generation);
    return pod;
  }

  afterAll(async () => {
    await traffic?.stop();
  });

  it('shows the adapter the pod started with as Loaded, read from the simulator', async () => {
    await eventually(
      async () => {
        const ms = await getMs();
        expect(ms.status?.adapters).toEqual([{ name: 'sql', state: 'Loaded', loadedReplicas: 1 }]);
        expect(ms.status?.conditions?.find((c) => c.type === 'AdaptersReady')).toMatchObject({ status: 'True', reason: 'AdaptersLoaded' });
      },
      60_000,
      500,
    );
    const pod = await onlyPod();
    podUid = pod.metadata.uid;
    generation = await deploymentGeneration();
    expect(await adaptersOnPod(pod)).toEqual(['sql']);
  }, 90_000);

  it('loads an added adapter into the running pod through the dynamic API, without a roll', async () => {
    // The gateway's pod rolls for the new list (next test): a client sends chats throughout.
    gatewayBefore = await gatewayPodNames();
    traffic = backgroundChats();
    await setAdapters([sql, support]);
    await eventually(
      async () => {
        expect((await getMs()).status?.adapters).toEqual([
          { name: 'sql', state: 'Loaded', loadedReplicas: 1 },
          { name: 'support', state: 'Loaded', loadedReplicas: 1 },
        ]);
      },
      60_000,
      500,
    );
    const pod = await samePodAsBefore();
    // The simulator in that pod holds it now: the operator in its pod reached the pod's IP.
    expect(await adaptersOnPod(pod)).toEqual(['sql', 'support']);
    // Asked directly, the simulator answers under the adapter's name.
    const direct = await chatOnPod(pod, 'support');
    expect(direct.status).toBe(200);
    expect(direct.body.model).toBe('support');
  }, 90_000);

  it('answers <model>:<adapter> through the gateway’s Service with the adapter', async () => {
    // The adapter list is in the gateway's file: its pod rolls to read it, then routes the name.
    const reply = await eventually(
      async () => {
        const r = await chat(`${SERVED}:support`, 'Which adapter answers?');
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        return r;
      },
      150_000,
      1000,
    );
    // The gateway echoes the name the client used (the simulator answered as `support`, above).
    expect(reply.body.model).toBe(`${SERVED}:support`);
    expect(reply.headers.get('x-perpetual-model')).toBe(`${SERVED}:support`);
    expect(JSON.stringify(reply.body.choices)).toContain('Which adapter answers?');
    // Once the old gateway pod is gone, every chat sent meanwhile was answered: no connection was
    // refused or left unanswered by a pod on its way out.
    await cluster.kubectlOk(['rollout', 'status', 'deployment/stack-gateway', '-n', NS, '--timeout=120s']);
    await eventually(
      async () => {
        const now = await gatewayPodNames();
        expect(now).toHaveLength(1);
        expect(gatewayBefore).not.toContain(now[0]);
      },
      90_000,
      500,
    );
    const during = await (traffic as ReturnType<typeof backgroundChats>).stop();
    traffic = undefined;
    expect(during.failures).toEqual([]);
    expect(during.statuses.length).toBeGreaterThan(0);
    expect(during.statuses.filter((s) => s !== 200)).toEqual([]);
  }, 180_000);

  it('unloads an adapter removed from the spec from the running pod, still without a roll', async () => {
    await setAdapters([support]);
    await eventually(
      async () => {
        expect((await getMs()).status?.adapters).toEqual([{ name: 'support', state: 'Loaded', loadedReplicas: 1 }]);
        expect(await adaptersOnPod(await onlyPod())).toEqual(['support']);
      },
      60_000,
      500,
    );
    const pod = await samePodAsBefore();
    // The simulator refuses the adapter it no longer has. Until its pod rolls with the new file, the
    // gateway still forwards it and passes that 404 on; then it refuses the name itself.
    expect((await chatOnPod(pod, 'sql')).status).toBe(404);
    await gatewayAnswersNotFound(`${SERVED}:sql`, `The model "${SERVED}:sql" does not exist`);
    await eventually(
      async () => {
        expect((await chat(`${SERVED}:support`, 'Still here?')).status).toBe(200);
      },
      30_000,
      500,
    );
  }, 240_000);

  it('shows an adapter the simulator pod refuses as Failed with its message, and the gateway answers it 404', async () => {
    // vLLM refuses a lora_path that is neither a directory in the container nor a Hugging Face
    // repository id; so does the pod's entry point, with vLLM's 404 and message.
    await setAdapters([support, bad]);
    const message = `Loading lora bad failed: No adapter found for ${bad.source}`;
    const ms = await eventually(
      async () => {
        const obj = await getMs();
        expect(obj.status?.adapters?.find((a) => a.name === 'bad')).toEqual({ name: 'bad', state: 'Failed', loadedReplicas: 0, message });
        return obj;
      },
      60_000,
      500,
    );
    expect(ms.status?.adapters?.find((a) => a.name === 'support')).toEqual({ name: 'support', state: 'Loaded', loadedReplicas: 1 });
    expect(ms.status?.conditions?.find((c) => c.type === 'AdaptersReady')).toMatchObject({
      status: 'False',
      reason: 'AdapterLoadFailed',
      message: `Adapter bad failed to load: ${message}`,
    });
    const pod = await samePodAsBefore();
    expect(await adaptersOnPod(pod)).toEqual(['support']);
    // The gateway's pod rolls for the file that quotes the refusal, then answers the name itself.
    await gatewayAnswersNotFound(`${SERVED}:bad`, `The adapter "bad" of model "${SERVED}" is not loaded: ${message}`);
    expect((await chat(`${SERVED}:support`, 'And you?')).status).toBe(200);
  }, 240_000);
});

describe('a warm standby on the real node', () => {
  it('is put to sleep by the operator’s pods, answers vLLM’s 503 asleep, and the gateway wakes the same pod for a chat', async () => {
    // Made in beforeAll: by now the operator in its pods has read it idle for 3 s and slept it.
    await eventually(
      async () => {
        expect((await getMs(STANDBY)).status?.sleepingReplicas).toBe(1);
      },
      120_000,
      1000,
    );
    const pod = await onlyPod(STANDBY);
    expect(await sleepingOnPod(pod)).toBe(true);
    const [row] = parseTable(await cluster.kubectlOk(['get', 'ms', STANDBY, '-n', NS]));
    expect(row).toMatchObject({ REPLICAS: '1/1 (1 asleep)', 'MIN-MAX': '0-1' });
    const slept = await cluster.eventMessages(NS, STANDBY, 'Slept');
    expect(slept).toContain('No load for 3 s: putting 1 replica to sleep (vLLM sleep level 1), freeing GPU memory');
    // A client bypassing the gateway gets vLLM's 503 from the sleeping pod, which stays asleep.
    expect((await chatOnPod(pod, STANDBY_SERVED)).status).toBe(503);
    expect(await sleepingOnPod(pod)).toBe(true);

    // One gateway pod left after the adapter tests' rolls, so /prometheus through the Service is its.
    await cluster.kubectlOk(['rollout', 'status', 'deployment/stack-gateway', '-n', NS, '--timeout=120s']);
    await eventually(
      async () => {
        expect(await gatewayPodNames()).toHaveLength(1);
      },
      90_000,
      500,
    );
    const reply = await chat(STANDBY_SERVED, 'Wake up and answer.');
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(JSON.stringify(reply.body.choices)).toContain('Wake up and answer.');
    // The gateway woke it (the operator gives a woken replica a whole window before sleeping it again).
    expect(await sleepingOnPod(pod)).toBe(false);
    const metrics = await fetch(`${gatewayUrl}/prometheus`, { signal: AbortSignal.timeout(5_000) });
    const wakeups = (await metrics.text()).split('\n').filter((line) => line.startsWith('perpetual_replica_wakeups_total{'));
    expect(wakeups).toEqual([`perpetual_replica_wakeups_total{model_server="${STANDBY}",outcome="woken"} 1`]);

    // The same pod throughout: never restarted, never scaled to zero.
    const after = await onlyPod(STANDBY);
    expect(after.metadata.uid).toBe(pod.metadata.uid);
    expect(after.status.containerStatuses?.[0]?.restartCount).toBe(0);
    const ms = await getMs(STANDBY);
    expect(ms.spec.replicas).toBe(1);
    expect((ms.status?.scalingHistory ?? []).filter((e) => e.to === 0)).toEqual([]);
  }, 240_000);
});
