// model.source and cache.preload: the volume and --model each source needs, the preload Job and
// its one command line, replicas held at zero while the weights cannot be loaded, and WeightsReady.
import type { V1Deployment, V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { defaultedModelServer } from '../../api/v1alpha1/defaults.ts';
import { NO_AUTOSCALING_INPUTS } from './autoscaling.ts';
import { desiredObjects, NO_CLUSTER_INPUTS, vllmArgs } from './desired.ts';
import { imageVolumesByDefault } from './image-volumes.ts';
import { preloadCommand, preloadJobName, preloadState } from './preload-job.ts';
import { computeModelServerStatus } from './status.ts';
import { weightsSource, type WeightsInputs } from './weights.ts';

function server(spec: Record<string, unknown>, replicas = 2) {
  return defaultedModelServer({ name: 'llama', namespace: 'ml' }, { replicas, ...spec });
}
const preloaded = server({
  model: { id: 'meta-llama/Llama-3.1-8B-Instruct', revision: 'main' },
  engine: { env: [{ name: 'HF_TOKEN', secretKeyRef: { name: 'hf', key: 'token' } }] },
  cache: { size: '40Gi', preload: true },
});

function build(ms: ReturnType<typeof server>, weights: WeightsInputs) {
  const objects = desiredObjects(ms, NO_AUTOSCALING_INPUTS, { ...NO_CLUSTER_INPUTS, weights });
  const deployment = objects.find((o): o is V1Deployment => o.kind === 'Deployment');
  if (!deployment) throw new Error('no Deployment');
  return { deployment, job: objects.find((o): o is V1Job => o.kind === 'Job') };
}

function statusOf(ms: ReturnType<typeof server>, observed: { imageVolumes?: boolean; preloadJob?: V1Job }) {
  const status = computeModelServerStatus(ms, { deployment: undefined, pods: [], ...observed }, new Date(0));
  return {
    status,
    weights: status.conditions?.find((c) => c.type === 'WeightsReady'),
    ready: status.conditions?.find((c) => c.type === 'Ready'),
  };
}

const jobWith = (type: string): V1Job => ({ status: { conditions: [{ type, status: 'True' }] } });

describe('model.source', () => {
  it('parses hf://, pvc:// and oci://, and reads model.id as a Hugging Face id without one', () => {
    expect(weightsSource({ id: 'x', source: 'hf://org/name' })).toEqual({ kind: 'hf', repo: 'org/name' });
    expect(weightsSource({ id: 'x', source: 'pvc://models/llama/8b' })).toEqual({ kind: 'pvc', claim: 'models', path: 'llama/8b' });
    expect(weightsSource({ id: 'x', source: 'oci://registry.example:5000/models/llama:8b' })).toEqual({
      kind: 'oci',
      image: 'registry.example:5000/models/llama:8b',
    });
    expect(weightsSource({ id: 'org/name' })).toEqual({ kind: 'hf', repo: 'org/name' });
  });

  it('pvc:// mounts the claim read-only and points --model into it; no Hugging Face revision', () => {
    const ms = server({ model: { id: 'llama', revision: 'main', source: 'pvc://models/llama/8b' } });
    const pod = build(ms, { imageVolumes: true, preload: 'none', serving: false }).deployment.spec?.template.spec;
    expect(pod?.volumes).toContainEqual({ name: 'model-source', persistentVolumeClaim: { claimName: 'models', readOnly: true } });
    expect(pod?.containers[0]?.volumeMounts).toContainEqual({ name: 'model-source', mountPath: '/model-source', readOnly: true });
    expect(vllmArgs(ms.spec)).toEqual(expect.arrayContaining(['--model', '/model-source/llama/8b', '--served-model-name', 'llama']));
    expect(vllmArgs(ms.spec)).not.toContain('--revision');
  });

  it('oci:// mounts the image as an image volume where the cluster runs them', () => {
    const ms = server({ model: { id: 'llama', source: 'oci://registry.example/models/llama:8b' } });
    const { deployment } = build(ms, { imageVolumes: true, preload: 'none', serving: false });
    expect(deployment.spec?.template.spec?.volumes).toContainEqual({
      name: 'model-source',
      image: { reference: 'registry.example/models/llama:8b', pullPolicy: 'IfNotPresent' },
    });
    expect(deployment.spec?.replicas).toBe(2);
    expect(statusOf(ms, { imageVolumes: true }).weights).toMatchObject({ status: 'True', reason: 'ImageMounted' });
  });

  it('oci:// on a cluster without image volumes: no replica, a condition and a Failed phase, not a crash loop', () => {
    const ms = server({ model: { id: 'llama', source: 'oci://registry.example/models/llama:8b' } });
    expect(build(ms, { imageVolumes: false, preload: 'none', serving: false }).deployment.spec?.replicas).toBe(0);
    const { status, weights, ready } = statusOf(ms, { imageVolumes: false });
    expect(weights).toMatchObject({ status: 'False', reason: 'ImageVolumesUnsupported' });
    expect(weights?.message).toContain('Kubernetes 1.35');
    expect(ready).toMatchObject({ status: 'False', reason: 'ImageVolumesUnsupported' });
    expect(status.phase).toBe('Failed');
  });

  it('counts image volumes as on from Kubernetes 1.35, with providers\' "35+" minors', () => {
    expect(imageVolumesByDefault({ major: '1', minor: '34' })).toBe(false);
    expect(imageVolumesByDefault({ major: '1', minor: '35' })).toBe(true);
    expect(imageVolumesByDefault({ major: '1', minor: '36+' })).toBe(true);
    expect(imageVolumesByDefault({ major: '2', minor: '0' })).toBe(true);
  });
});

describe('cache.preload', () => {
  it('builds the Job (golden) that downloads into the cache PVC with the engine image and environment', async () => {
    const { job } = build(preloaded, { imageVolumes: true, preload: 'running', serving: false });
    await expect(stringify(job)).toMatchFileSnapshot('testdata/preload-job.golden.yaml');
    const pod = job?.spec?.template.spec;
    expect(pod?.containers[0]?.image).toBe(preloaded.spec.engine.image);
    expect(pod?.containers[0]?.env).toContainEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } });
    expect(pod?.volumes).toEqual([{ name: 'weights', persistentVolumeClaim: { claimName: 'llama-weights' } }]);
    expect(job?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ModelServer', name: 'llama', controller: true });
  });

  it('passes the repository and revision as arguments, with the cache directory vLLM downloads to', () => {
    const [shell, flag, script, ...args] = preloadCommand('org/name', 'v1');
    expect([shell, flag]).toEqual(['sh', '-c']);
    expect(script).toContain('hf download "$@" --cache-dir /models');
    expect(script).toContain('huggingface-cli download "$@" --cache-dir /models');
    expect(args).toEqual(['preload', 'org/name', '--revision', 'v1']);
    expect(preloadCommand('org/name', undefined).slice(3)).toEqual(['preload', 'org/name']);
  });

  it('names a new Job for a new model or revision, the same one otherwise', () => {
    const other = server({ model: { id: 'meta-llama/Llama-3.1-8B-Instruct', revision: 'v2' }, cache: { preload: true } });
    expect(preloadJobName(preloaded)).toMatch(/^llama-weights-preload-[0-9a-f]{8}$/);
    expect(preloadJobName(other)).not.toBe(preloadJobName(preloaded));
    expect(preloadJobName(server({ model: { id: 'meta-llama/Llama-3.1-8B-Instruct', revision: 'main' }, cache: { preload: true } }))).toBe(
      preloadJobName(preloaded),
    );
  });

  it('holds replicas at zero while preloading and after a failure, and lets them start once it completed', () => {
    expect(build(preloaded, { imageVolumes: true, preload: 'running', serving: false }).deployment.spec?.replicas).toBe(0);
    expect(build(preloaded, { imageVolumes: true, preload: 'failed', serving: false }).deployment.spec?.replicas).toBe(0);
    expect(build(preloaded, { imageVolumes: true, preload: 'complete', serving: false }).deployment.spec?.replicas).toBe(2);
  });

  it('never holds replicas that serve: a new revision preloads beside them (an update is no outage)', () => {
    expect(build(preloaded, { imageVolumes: true, preload: 'running', serving: true }).deployment.spec?.replicas).toBe(2);
    const serving: V1Deployment = {
      spec: { replicas: 2, selector: {}, template: {} },
      status: { replicas: 2, readyReplicas: 2, updatedReplicas: 2 },
    };
    const status = computeModelServerStatus(preloaded, { deployment: serving, pods: [] }, new Date(0));
    expect(status.conditions?.find((c) => c.type === 'WeightsReady')).toMatchObject({ status: 'False', reason: 'Preloading' });
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'ReplicasReady' });
    expect(status.phase).toBe('Ready');
  });

  it('reads the state from the Job, and says Preloading, then Preloaded, or PreloadFailed', () => {
    expect(preloadState(preloaded, undefined)).toBe('running');
    expect(preloadState(preloaded, {})).toBe('running');
    expect(preloadState(preloaded, jobWith('Complete'))).toBe('complete');
    expect(preloadState(preloaded, jobWith('Failed'))).toBe('failed');
    const running = statusOf(preloaded, {});
    expect(running.weights).toMatchObject({ status: 'False', reason: 'Preloading' });
    expect(running.ready).toMatchObject({ status: 'False', reason: 'Preloading' });
    expect(running.status.phase).toBe('Progressing');
    expect(statusOf(preloaded, { preloadJob: jobWith('Complete') }).weights).toMatchObject({ status: 'True', reason: 'Preloaded' });
    const failed = statusOf(preloaded, { preloadJob: jobWith('Failed') });
    expect(failed.weights).toMatchObject({ status: 'False', reason: 'PreloadFailed' });
    expect(failed.status.phase).toBe('Failed');
  });

  it('builds no Job and holds nothing without preload, and has no WeightsReady without a source or preload', () => {
    const plain = server({ model: { id: 'a/b' }, cache: { size: '10Gi' } });
    expect(build(plain, { imageVolumes: true, preload: 'none', serving: false }).job).toBeUndefined();
    expect(build(plain, { imageVolumes: true, preload: 'none', serving: false }).deployment.spec?.replicas).toBe(2);
    expect(statusOf(plain, {}).weights).toBeUndefined();
  });
});
