// spec.inferencePool against a real API server: without the Inference Extension's CRD the
// ModelServer says so (InferencePoolReady=False, InferencePoolNotInstalled) and nothing fails or
// loops; once the CRD is installed (test/fixtures/inference-pool-crd.yaml, a copy of the published
// v1 schema), the operator notices without a restart and applies an InferencePool the API server
// accepts, selecting the vLLM pods; turning it off prunes it. The schema refuses an enabled pool
// without an endpoint picker, and model sources other than hf://, pvc:// and oci://.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { modelServer } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
const CRD = readFileSync(join(import.meta.dirname, '../fixtures/inference-pool-crd.yaml'), 'utf8');
const CRD_NAME = 'inferencepools.inference.networking.k8s.io';
let ns = '';
let operator: OperatorProcess;
let crdInstalled = false;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Ms {
  status?: { conditions?: Condition[] };
}
interface Pool {
  metadata: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
  spec: {
    selector: { matchLabels: Record<string, string> };
    targetPorts: { number: number }[];
    endpointPickerRef: Record<string, unknown>;
  };
}

async function apply(manifest: string): Promise<void> {
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest);
}

async function condition(name: string, type: string): Promise<Condition | undefined> {
  const ms = JSON.parse(await cluster.kubectlOk(['get', 'ms', name, '-n', ns, '-o', 'json'])) as Ms;
  return ms.status?.conditions?.find((c) => c.type === type);
}

const pooled = (name: string, enabled = true) =>
  modelServer(name, { gpu: { count: 0 }, inferencePool: { enabled, endpointPickerRef: { name: 'shared-epp', port: 9002 } } });

beforeAll(async () => {
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  ns = await cluster.createNamespace('infpool');
  operator = await startOperator({ kubeconfigPath: cluster.kubeconfigPath });
});

afterAll(async () => {
  await operator.stop();
  if (crdInstalled) await cluster.kubectlOk(['delete', 'crd', CRD_NAME, '--wait=true', '--timeout=60s']);
});

describe('spec.inferencePool', () => {
  it('without the CRD: says the API is not installed, and the server still runs', async () => {
    const errorsBefore = await operator.counter('perpetual_operator_reconcile_errors_total');
    await apply(pooled('pooled'));
    await eventually(async () => {
      expect(await condition('pooled', 'InferencePoolReady')).toMatchObject({ status: 'False', reason: 'InferencePoolNotInstalled' });
    });
    // Its other children are there, and no reconcile failed over the missing API.
    await cluster.kubectlOk(['get', 'deploy/pooled-vllm', 'svc/pooled-vllm', '-n', ns]);
    expect((await cluster.kubectl(['get', 'inferencepools', '-n', ns])).code).not.toBe(0);
    expect(await operator.counter('perpetual_operator_reconcile_errors_total')).toBe(errorsBefore);
  });

  it('with the CRD installed: applies an InferencePool the API server accepts, selecting the vLLM pods', async () => {
    crdInstalled = true;
    await cluster.kubectlOk(['apply', '-f', '-'], CRD);
    await cluster.kubectlOk(['wait', '--for=condition=Established', `crd/${CRD_NAME}`, '--timeout=60s']);
    const pool = await eventually(
      async () =>
        JSON.parse(
          await cluster.kubectlOk(['get', 'inferencepools.inference.networking.k8s.io', 'pooled-vllm', '-n', ns, '-o', 'json']),
        ) as Pool,
      30_000,
    );
    const deployment = JSON.parse(await cluster.kubectlOk(['get', 'deploy/pooled-vllm', '-n', ns, '-o', 'json'])) as {
      spec: { selector: { matchLabels: Record<string, string> } };
    };
    expect(pool.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(pool.spec.targetPorts).toEqual([{ number: 8000 }]);
    // As stored: the fields we set and the API's defaults.
    expect(pool.spec.endpointPickerRef).toEqual({
      group: '',
      kind: 'Service',
      name: 'shared-epp',
      port: { number: 9002 },
      failureMode: 'FailClose',
    });
    expect(pool.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ModelServer', name: 'pooled', controller: true })]);
    await eventually(async () => {
      expect(await condition('pooled', 'InferencePoolReady')).toMatchObject({ status: 'True', reason: 'Applied' });
    });
    // The API server's defaults (group "") are no drift: reconciles every second (no replica is ever
    // ready here) write the pool no more.
    const poolWrites = async () => (await operator.countersBy('perpetual_operator_api_writes_total', 'kind')).get('InferencePool') ?? 0;
    const before = await poolWrites();
    expect(before).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await poolWrites()).toBe(before);
  });

  it('turned off: prunes the InferencePool and drops the condition', async () => {
    await apply(pooled('pooled', false));
    await eventually(async () => {
      const got = await cluster.kubectl(['get', 'inferencepools.inference.networking.k8s.io', 'pooled-vllm', '-n', ns]);
      expect(got.stderr).toContain('NotFound');
      expect(await condition('pooled', 'InferencePoolReady')).toBeUndefined();
    });
  });
});

describe('the schema', () => {
  it('refuses an enabled pool without an endpoint picker', async () => {
    const result = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], modelServer('no-picker', { inferencePool: { enabled: true } }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('endpointPickerRef is required when enabled');
  });

  it.each(['ftp://models/llama', 'hf://no-slash', 'pvc://Upper/case', 'oci://Registry Example/x', 's3://bucket/llama'])(
    'refuses model.source %s, naming the field',
    async (source) => {
      const result = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], modelServer('bad-source', { model: { id: 'x', source } }));
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('spec.model.source');
    },
  );

  it.each(['hf://meta-llama/Llama-3.1-8B-Instruct', 'pvc://models/llama/8b', 'oci://registry.example:5000/models/llama:8b'])(
    'accepts model.source %s',
    async (source) => {
      await apply(modelServer('good-source', { gpu: { count: 0 }, replicas: 0, model: { id: 'x', source } }));
    },
  );

  it('refuses cache.preload with a source that is not hf://', async () => {
    const result = await cluster.kubectl(
      ['apply', '-n', ns, '-f', '-'],
      modelServer('bad-preload', { model: { id: 'x', source: 'pvc://models/llama' }, cache: { preload: true } }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('cache.preload downloads from Hugging Face');
  });
});
