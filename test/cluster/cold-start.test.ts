// Cold start on a scheduling cluster (kube-controller-manager, kube-scheduler, kwok): the weights
// preload Job runs to completion (the real Job controller; kwok completes its pod) before the first
// vLLM replica is created, and after a scale from zero status.lastColdStart and a ColdStart Event
// break the replica's start into scheduled, started and ready from its pod's stamps. kwok runs no
// container, so the phases here are the simulated ones (seconds apart at most); the arithmetic is
// the same on real nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { modelServer, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';
import type { ModelServerStatus } from '../../operator/api/v1alpha1/model-server.ts';

const MS_LABEL = 'perpetual.ai/modelserver';
const cluster = testCluster();
let ns = '';
let operator: OperatorProcess;

type ColdStart = NonNullable<ModelServerStatus['lastColdStart']>;
interface Ms {
  status?: ModelServerStatus;
}
interface Job {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { completionTime?: string; conditions?: { type: string; status: string }[] };
}
interface Pod {
  metadata: { name: string; creationTimestamp: string };
}

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await cluster.kubectlOk([...args, '-n', ns, '-o', 'json'])) as T;
}

function conditionOf(ms: Ms, type: string) {
  return ms.status?.conditions?.find((c) => c.type === type);
}

async function apply(manifest: string): Promise<void> {
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest);
}

async function vllmPods(name: string): Promise<Pod[]> {
  return (await getJson<{ items: Pod[] }>(['get', 'pods', '-l', `${MS_LABEL}=${name},app.kubernetes.io/component=vllm`])).items;
}

/** Each phase is non-negative, and they add up to the whole within rounding to a tenth. */
function expectPhasesAddUp(start: ColdStart | undefined): void {
  if (!start) throw new Error('no lastColdStart');
  // The container's start stamp reached status through the operator's pod cache.
  expect(start.startedSeconds).toBeDefined();
  expect(start.loadedSeconds).toBeDefined();
  const phases = [start.scheduledSeconds, start.startedSeconds ?? 0, start.loadedSeconds ?? 0];
  for (const seconds of phases) expect(seconds).toBeGreaterThanOrEqual(0);
  expect(Math.abs(phases.reduce((a, b) => a + b, 0) - start.totalSeconds)).toBeLessThanOrEqual(0.2);
}

beforeAll(async () => {
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  ns = await cluster.createNamespace('coldstart');
  await apply(secretsManifest());
  operator = await startOperator({ kubeconfigPath: cluster.kubeconfigPath });
}, 120_000);

afterAll(async () => {
  await operator.stop();
  // The GPU test files share this cluster: give back the GPUs and volumes this file's ModelServers hold.
  await cluster.kubectlOk(['delete', 'namespace', ns, '--wait=true', '--timeout=90s']);
}, 180_000);

describe('cache.preload', () => {
  it('runs the preload Job to completion before the first replica is created, then serves', async () => {
    await apply(modelServer('preloaded', { cache: { size: '10Gi', preload: true } }));
    const ms = await eventually(async () => {
      const obj = await getJson<Ms>(['get', 'ms', 'preloaded']);
      expect(obj.status?.phase).toBe('Ready');
      return obj;
    }, 90_000);
    expect(conditionOf(ms, 'WeightsReady')).toMatchObject({ status: 'True', reason: 'Preloaded' });

    const jobs = (await getJson<{ items: Job[] }>(['get', 'jobs', '-l', `${MS_LABEL}=preloaded`])).items;
    expect(jobs.map((j) => j.metadata.name)).toEqual([expect.stringMatching(/^preloaded-weights-preload-[0-9a-f]{8}$/)]);
    const completed = jobs[0]?.status?.completionTime ?? '';
    expect(jobs[0]?.status?.conditions).toContainEqual(expect.objectContaining({ type: 'Complete', status: 'True' }));
    // The Deployment was held at zero until then: every replica was created after the Job completed.
    const pods = await vllmPods('preloaded');
    expect(pods).toHaveLength(1);
    for (const pod of pods) expect(Date.parse(pod.metadata.creationTimestamp)).toBeGreaterThanOrEqual(Date.parse(completed));
    // Status said Preloading while the Job ran: the phase's first Event carries that reason.
    await eventually(async () => {
      expect(await cluster.eventMessages(ns, 'preloaded', 'Progressing')).toContain(
        'Preloading org/test-model-7b into the cache; replicas start when it completes.',
      );
    });
  }, 150_000);
});

describe('the cold-start breakdown', () => {
  it('appears in status and as an Event after a scale from zero, from the new pod', async () => {
    await apply(modelServer('cold', { replicas: 0 }));
    await eventually(async () => {
      expect(conditionOf(await getJson<Ms>(['get', 'ms', 'cold']), 'Ready')).toMatchObject({ status: 'True', reason: 'ScaledToZero' });
    });
    expect((await getJson<Ms>(['get', 'ms', 'cold'])).status?.lastColdStart).toBeUndefined();

    await cluster.kubectlOk(['scale', 'ms/cold', '-n', ns, '--replicas=1']);
    const ms = await eventually(async () => {
      const obj = await getJson<Ms>(['get', 'ms', 'cold']);
      expect(obj.status?.readyReplicas).toBe(1);
      expect(obj.status?.lastColdStart).toBeDefined();
      return obj;
    }, 90_000);
    const [pod] = await vllmPods('cold');
    const start = ms.status?.lastColdStart;
    expect(start?.pod).toBe(pod?.metadata.name);
    expect(Date.parse(start?.createdAt ?? '')).toBe(Date.parse(pod?.metadata.creationTimestamp ?? ''));
    expectPhasesAddUp(start);
    const events = await eventually(async () => {
      const text = await cluster.eventMessages(ns, 'cold', 'ColdStart');
      expect(text).toContain(`Replica ${pod?.metadata.name ?? ''} ready`);
      return text;
    });
    expect(events).toMatch(/after creation: scheduled [\d.]+s/);

    // Scaled back to zero, the record stays.
    await cluster.kubectlOk(['scale', 'ms/cold', '-n', ns, '--replicas=0']);
    await eventually(async () => {
      expect(await vllmPods('cold')).toHaveLength(0);
    }, 60_000);
    expect((await getJson<Ms>(['get', 'ms', 'cold'])).status?.lastColdStart).toEqual(start);
  }, 180_000);
});
