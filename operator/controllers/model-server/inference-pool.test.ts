// spec.inferencePool: the golden InferencePool, that it selects exactly the vLLM pods on vLLM's
// port, and the InferencePoolReady condition with and without the API served.
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { defaultedModelServer } from '../../api/v1alpha1/defaults.ts';
import type { InferencePool } from '../../resources/inference-pool.ts';
import { desiredObjects, NO_CLUSTER_INPUTS } from './desired.ts';
import { NO_AUTOSCALING_INPUTS } from './autoscaling.ts';
import { computeModelServerStatus } from './status.ts';
import { VLLM_PORT } from './names.ts';

const pooled = defaultedModelServer(
  { name: 'llama', namespace: 'ml' },
  {
    model: { id: 'meta-llama/Llama-3.1-8B-Instruct', servedName: 'llama-8b' },
    inferencePool: { enabled: true, endpointPickerRef: { name: 'llama-epp' } },
  },
);
const served = { ...NO_CLUSTER_INPUTS, inferencePoolServed: true };

function poolOf(objects: ReturnType<typeof desiredObjects>): InferencePool | undefined {
  return objects.find((o): o is InferencePool => o.kind === 'InferencePool');
}

describe('the InferencePool of a ModelServer', () => {
  const objects = desiredObjects(pooled, NO_AUTOSCALING_INPUTS, served);
  const pool = poolOf(objects);

  it('matches the golden YAML', async () => {
    await expect(stringify(pool)).toMatchFileSnapshot('testdata/inference-pool.golden.yaml');
  });

  it("selects exactly the Deployment's pods, on vLLM's port", () => {
    const deployment = objects.find((o): o is V1Deployment => o.kind === 'Deployment');
    const selector = pool?.spec?.selector.matchLabels;
    expect(pool?.apiVersion).toBe('inference.networking.k8s.io/v1');
    expect(selector).toEqual(deployment?.spec?.selector.matchLabels);
    expect(deployment?.spec?.template.metadata?.labels).toMatchObject(selector ?? { missing: true });
    expect(pool?.spec?.targetPorts).toEqual([{ number: VLLM_PORT }]);
  });

  it("names the user's endpoint picker with the API's defaults, and is owned by the ModelServer", () => {
    expect(pool?.spec?.endpointPickerRef).toEqual({ kind: 'Service', name: 'llama-epp', port: { number: 9002 }, failureMode: 'FailClose' });
    expect(pool?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ModelServer', name: 'llama', controller: true });
  });

  it('is not built where the API is not served, nor when not enabled', () => {
    expect(poolOf(desiredObjects(pooled, NO_AUTOSCALING_INPUTS, NO_CLUSTER_INPUTS))).toBeUndefined();
    const off = defaultedModelServer({ name: 'llama', namespace: 'ml' }, { model: { id: 'a/b' } });
    expect(poolOf(desiredObjects(off, NO_AUTOSCALING_INPUTS, served))).toBeUndefined();
  });
});

describe('InferencePoolReady', () => {
  const conditionOf = (ms: typeof pooled, inferencePoolServed: boolean) =>
    computeModelServerStatus(ms, { deployment: undefined, pods: [], inferencePoolServed }, new Date(0)).conditions?.find(
      (c) => c.type === 'InferencePoolReady',
    );

  it('says the API is not installed, with what to do', () => {
    expect(conditionOf(pooled, false)).toMatchObject({ status: 'False', reason: 'InferencePoolNotInstalled' });
    expect(conditionOf(pooled, false)?.message).toContain('install the Gateway API Inference Extension CRDs');
  });

  it('says the pool is applied and names the picker', () => {
    expect(conditionOf(pooled, true)).toMatchObject({ status: 'True', reason: 'Applied' });
    expect(conditionOf(pooled, true)?.message).toContain('llama-epp:9002');
  });

  it('is absent without spec.inferencePool.enabled', () => {
    expect(conditionOf(defaultedModelServer({ name: 'x' }, { model: { id: 'a/b' } }), false)).toBeUndefined();
  });
});
