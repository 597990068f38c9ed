// LoRA adapters driven by the operator on a scheduling cluster (kwok): a ModelServer's two
// simulated replicas map (ENDPOINT_MAP_FILE) to two loopback llm-d-inference-sim processes, each
// behind a proxy that refuses one adapter path as vLLM does (the simulator accepts every load).
// The operator process loads the spec's adapters through the dynamic API, shows their state in
// status, applies a changed list without rolling the Deployment, and hands the gateway a file that
// lists the adapters with the server's message for the refused one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startInferenceSim, type InferenceSim } from '../harness/inference-sim.ts';
import { startRefusingReplica, vllmNoAdapterMessage, type RefusingReplica } from '../stubs/lora-refusing-replica.ts';
import { startEndpointMap, type EndpointMap } from '../support/endpoint-map.ts';
import { eventually } from '../support/eventually.ts';
import { modelServer, perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
const sql = { name: 'sql', source: 'hf://perpetual-test/sql-lora' };
const support = { name: 'support', source: 'hf://perpetual-test/support-lora' };
const bad = { name: 'bad', source: 'hf://perpetual-test/missing-lora' };
let ns = '';
let operator: OperatorProcess;
let endpoints: EndpointMap;
let sims: InferenceSim[] = [];
let replicas: RefusingReplica[] = [];

interface AdapterStatus {
  name: string;
  state: string;
  loadedReplicas: number;
  message?: string;
}
interface Ms {
  status?: { adapters?: AdapterStatus[]; conditions?: { type: string; status: string; reason: string; message: string }[] };
}
interface Deployment {
  metadata: { generation: number };
  spec: { template: { spec: { containers: { args: string[] }[] } } };
}

async function getMs(): Promise<Ms> {
  return JSON.parse(await cluster.kubectlOk(['get', 'ms', 'lora', '-n', ns, '-o', 'json'])) as Ms;
}

async function getDeployment(): Promise<Deployment> {
  return JSON.parse(await cluster.kubectlOk(['get', 'deployment', 'lora-vllm', '-n', ns, '-o', 'json'])) as Deployment;
}

async function apply(manifest: string): Promise<void> {
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest);
}

async function loadedOn(replica: RefusingReplica): Promise<string[]> {
  const body = (await (await fetch(`${replica.url}/v1/models`)).json()) as { data: { id: string; parent: string | null }[] };
  return body.data.flatMap((m) => (m.parent ? [m.id] : [])).sort();
}

const withAdapters = (adapters: unknown[]) => modelServer('lora', { replicas: 2, adapters });

beforeAll(async () => {
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  ns = await cluster.createNamespace('adapters');
  await apply(secretsManifest());
  sims = await Promise.all([0, 1].map(() => startInferenceSim({ model: 'org/test-model-7b', args: ['--max-loras=2'] })));
  replicas = await Promise.all(sims.map((s) => startRefusingReplica(s.url, 'missing-lora')));
  endpoints = startEndpointMap(cluster.kubeConfig(), ns);
  // Each pod of the ModelServer to its own replica, in the order the pods are first seen.
  const assigned = new Map<string, string>();
  await endpoints.setRoute((pod) => {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.labels?.['perpetual.ai/modelserver'] !== 'lora') return undefined;
    if (!assigned.has(name) && assigned.size < replicas.length) assigned.set(name, replicas[assigned.size]?.url ?? '');
    return assigned.get(name);
  });
  operator = await startOperator({ kubeconfigPath: cluster.kubeconfigPath, env: { ENDPOINT_MAP_FILE: endpoints.file } });
}, 120_000);

afterAll(async () => {
  await operator.stop();
  await endpoints.stop();
  await Promise.all(replicas.map((r) => r.close()));
  await Promise.all(sims.map((s) => s.stop()));
  await cluster.kubectlOk(['delete', 'namespace', ns, '--wait=true', '--timeout=90s']);
}, 180_000);

describe('LoRA adapters through the operator', () => {
  let firstGeneration = 0;

  it('starts the replicas with LoRA on and the adapter known at start, and shows it Loaded on both', async () => {
    await apply(withAdapters([sql]));
    const ms = await eventually(async () => {
      const obj = await getMs();
      expect(obj.status?.adapters).toEqual([{ name: 'sql', state: 'Loaded', loadedReplicas: 2 }]);
      return obj;
    }, 90_000);
    expect(ms.status?.conditions?.find((c) => c.type === 'AdaptersReady')).toMatchObject({ status: 'True', reason: 'AdaptersLoaded' });
    const args = (await getDeployment()).spec.template.spec.containers[0]?.args ?? [];
    expect(args).toEqual(
      expect.arrayContaining(['--enable-lora', '--lora-modules', JSON.stringify({ name: 'sql', path: 'perpetual-test/sql-lora' })]),
    );
    firstGeneration = (await getDeployment()).metadata.generation;
    // The simulated pods started without it (they are not the simulators): the operator loaded it at runtime.
    for (const r of replicas) expect(await loadedOn(r)).toEqual(['sql']);
  });

  it('loads an adapter added later on the running replicas without rolling the Deployment', async () => {
    await apply(withAdapters([sql, support]));
    await eventually(async () => {
      expect((await getMs()).status?.adapters).toEqual([
        { name: 'sql', state: 'Loaded', loadedReplicas: 2 },
        { name: 'support', state: 'Loaded', loadedReplicas: 2 },
      ]);
    }, 60_000);
    for (const r of replicas) expect(await loadedOn(r)).toEqual(['sql', 'support']);
    const deployment = await getDeployment();
    expect(deployment.metadata.generation).toBe(firstGeneration);
    // The running pods' --lora-modules stay as they started; the new adapter came through the API.
    const args = deployment.spec.template.spec.containers[0]?.args ?? [];
    expect(args.filter((a) => a.startsWith('{'))).toEqual([JSON.stringify({ name: 'sql', path: 'perpetual-test/sql-lora' })]);
  });

  it("shows a refused adapter as Failed with the server's message, and the gateway file quotes it", async () => {
    await apply(
      perpetualDeployment('stack', {
        mode: 'local',
        models: [{ name: 'llama', modelServerRef: { name: 'lora' } }],
      }),
    );
    await apply(withAdapters([sql, support, bad]));
    const message = vllmNoAdapterMessage('bad', 'perpetual-test/missing-lora');
    const ms = await eventually(async () => {
      const obj = await getMs();
      expect(obj.status?.adapters?.find((a) => a.name === 'bad')).toEqual({ name: 'bad', state: 'Failed', loadedReplicas: 0, message });
      return obj;
    }, 60_000);
    expect(ms.status?.conditions?.find((c) => c.type === 'AdaptersReady')).toMatchObject({
      status: 'False',
      reason: 'AdapterLoadFailed',
      message: `Adapter bad failed to load: ${message}`,
    });
    expect((await getDeployment()).metadata.generation).toBe(firstGeneration);
    await eventually(async () => {
      const file = parse(
        await cluster.kubectlOk(['get', 'configmap', 'stack-gateway-config', '-n', ns, '-o', 'jsonpath={.data.config\\.yaml}']),
      ) as { models: { name: string; adapters?: unknown }[] };
      expect(file.models.find((m) => m.name === 'llama')?.adapters).toEqual([
        { name: 'bad', loadError: message },
        { name: 'sql' },
        { name: 'support' },
      ]);
    }, 60_000);
  });

  it('unloads a removed adapter from the running replicas, still without a roll', async () => {
    await apply(withAdapters([support]));
    await eventually(async () => {
      expect((await getMs()).status?.adapters).toEqual([{ name: 'support', state: 'Loaded', loadedReplicas: 2 }]);
      for (const r of replicas) expect(await loadedOn(r)).toEqual(['support']);
    }, 60_000);
    expect((await getDeployment()).metadata.generation).toBe(firstGeneration);
  });
});
