// The CRDs from crds/ on a real kube-apiserver: accepted, printed, defaulted, scaled, explained.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/processes.ts';
import { parseTable, testCluster } from '../support/kube.ts';

const cluster = testCluster();
let ns = '';

beforeAll(async () => {
  ns = await cluster.createNamespace('crds');
  await cluster.kubectlOk(['apply', '-n', ns, '-k', join(REPO_ROOT, 'config/samples')]);
});

/** Column headers of `kubectl get <resource>`, e.g. ["NAME", "READY", ...]. */
async function headers(resource: string, extra: string[] = []): Promise<string[]> {
  const out = await cluster.kubectlOk(['get', resource, '-n', ns, ...extra]);
  return Object.keys(parseTable(out)[0] ?? {});
}

async function getJson(resource: string): Promise<Record<string, unknown>> {
  return JSON.parse(await cluster.kubectlOk(['get', resource, '-n', ns, '-o', 'json'])) as Record<string, unknown>;
}

describe('CustomResourceDefinitions', () => {
  it('are established with a status subresource, and a scale subresource on ModelServer', async () => {
    const crds = JSON.parse(await cluster.kubectlOk(['get', 'crd', '-o', 'json'])) as {
      items: { metadata: { name: string }; spec: { versions: { subresources: Record<string, unknown> }[] } }[];
    };
    const byName = new Map(crds.items.map((crd) => [crd.metadata.name, crd.spec.versions[0]?.subresources]));
    expect(byName.get('perpetualdeployments.perpetual.ai')).toEqual({ status: {} });
    expect(byName.get('modelservers.perpetual.ai')).toEqual({
      status: {},
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
    });
  });

  it('accept every sample in config/samples', async () => {
    const names = await cluster.kubectlOk(['get', 'perpetual', '-n', ns, '-o', 'name']);
    expect(names.trim().split('\n').sort()).toEqual([
      'modelserver.perpetual.ai/mistral-7b',
      'perpetualdeployment.perpetual.ai/perpetual-local',
      'perpetualdeployment.perpetual.ai/perpetual-proxy',
    ]);
  });

  it('print the columns DESIGN.md promises for pd and ms (short names)', async () => {
    expect(await headers('pd')).toEqual(['NAME', 'READY', 'PHASE', 'MODE', 'GATEWAY', 'MODELS', 'URL', 'AGE']);
    expect(await headers('ms')).toEqual(['NAME', 'READY', 'PHASE', 'MODEL', 'GPUS', 'REPLICAS', 'MIN-MAX', 'AGE']);
    expect(await headers('ms', ['-o', 'wide'])).toEqual([
      'NAME',
      'READY',
      'PHASE',
      'MODEL',
      'GPUS',
      'REPLICAS',
      'MIN-MAX',
      'AGE',
      'REASON',
      'LAST-SCALE',
    ]);
  });

  it('show status values in those columns', async () => {
    const status = {
      status: {
        phase: 'Ready',
        phaseReason: 'All components are ready.',
        gatewaySummary: '2/2',
        modelsSummary: '3/3',
        url: 'http://perpetual-proxy-gateway.default.svc:80',
        conditions: [{ type: 'Ready', status: 'True', reason: 'AllReady', message: 'ok', lastTransitionTime: '2026-11-24T00:00:00Z' }],
      },
    };
    await cluster.kubectlOk([
      'patch',
      'pd',
      'perpetual-proxy',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    ]);
    const [pd] = parseTable(await cluster.kubectlOk(['get', 'pd', 'perpetual-proxy', '-n', ns]));
    expect(pd).toMatchObject({
      NAME: 'perpetual-proxy',
      READY: 'True',
      PHASE: 'Ready',
      MODE: 'proxy',
      GATEWAY: '2/2',
      MODELS: '3/3',
      URL: 'http://perpetual-proxy-gateway.default.svc:80',
    });
    // No status yet: the status columns are blank, the spec columns filled (GPUS from the schema default).
    const [ms] = parseTable(await cluster.kubectlOk(['get', 'ms', 'mistral-7b', '-n', ns]));
    expect(ms).toMatchObject({ NAME: 'mistral-7b', READY: '', PHASE: '', MODEL: 'mistralai/Mistral-7B-Instruct-v0.2', GPUS: '1' });
  });

  it('apply the schema defaults', async () => {
    const ms = (await getJson('ms/mistral-7b')) as { spec: Record<string, Record<string, unknown>> };
    expect(ms.spec.gpu).toEqual({ count: 1, resourceName: 'nvidia.com/gpu' });
    expect(ms.spec.rollout).toEqual({ strategy: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 });
    expect(ms.spec.engine).toEqual({ image: 'vllm/vllm-openai:v0.11.0' });
    const pd = (await getJson('pd/perpetual-proxy')) as { spec: Record<string, Record<string, unknown>> };
    expect(pd.spec.tiers).toEqual({
      free: { requestsPerMinute: 10, requestsPerDay: 1000 },
      pro: { requestsPerMinute: 60, requestsPerDay: 10000 },
      enterprise: { requestsPerMinute: 1000, requestsPerDay: 1000000 },
    });
    expect(pd.spec.vectorStore).toMatchObject({
      type: 'managed',
      collection: 'conversations',
      managed: { replicas: 1, storage: { size: '10Gi' } },
    });
    expect(pd.spec.memory).toMatchObject({ enabled: true, topK: 20, embedding: { source: 'builtin' } });
    expect(pd.spec.encryptionKeySecretRef).toEqual({ name: 'perpetual-encryption', key: 'API_KEY_ENCRYPTION_KEY' });
  });

  it('let kubectl scale a ModelServer through the scale subresource', async () => {
    await cluster.kubectlOk(['scale', 'ms/mistral-7b', '-n', ns, '--replicas=3']);
    const ms = (await getJson('ms/mistral-7b')) as { spec: { replicas: number } };
    expect(ms.spec.replicas).toBe(3);
  });

  it('explain every field from the TypeScript doc strings', async () => {
    const mode = await cluster.kubectlOk(['explain', 'pd.spec.mode']);
    expect(mode).toContain('`proxy`: forward to hosted providers');
    const gpus = await cluster.kubectlOk(['explain', 'ms.spec.gpu.count']);
    expect(gpus).toContain('GPUs per replica; 0 runs on CPU.');
  });
});
