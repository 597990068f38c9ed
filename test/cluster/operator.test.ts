// The operator on a cluster that schedules and "runs" pods (kwok): stacks become Ready for real,
// GPU shortages are named, and deleting a resource garbage-collects its children.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPUS_PER_NODE } from '../harness/fake-nodes.ts';
import { eventually } from '../support/eventually.ts';
import { modelServer, perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { parseTable, testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
let ns = '';
let operator: OperatorProcess;

beforeAll(async () => {
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  ns = await cluster.createNamespace('stack');
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], secretsManifest());
  operator = await startOperator({ kubeconfigPath: cluster.kubeconfigPath });
});

afterAll(async () => {
  await operator.stop();
  // The GPU test files share this cluster: give the GPUs this file's ModelServers hold back.
  await cluster.kubectlOk(['delete', 'namespace', ns, '--wait=true', '--timeout=60s']);
});

async function row(resource: string, name: string): Promise<Record<string, string>> {
  return parseTable(await cluster.kubectlOk(['get', resource, name, '-n', ns]))[0] ?? {};
}

/** What a failed wait should show: the conditions, and every pod, claim and job with its state. */
async function diagnostics(resource: string, name: string): Promise<string> {
  const conditions = await cluster.kubectl([
    'get',
    resource,
    name,
    '-n',
    ns,
    '-o',
    'jsonpath={range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\\n"}{end}',
  ]);
  const children = await cluster.kubectl(['get', 'pods,pvc,jobs,statefulsets,deployments', '-n', ns, '-o', 'wide']);
  const events = await cluster.kubectl(['get', 'events', '-n', ns, '--sort-by=.lastTimestamp']);
  return [conditions.stdout, children.stdout, events.stdout.split('\n').slice(-25).join('\n')].join('\n');
}

/** Waits like eventually(), and on timeout adds the diagnostics to the failure. */
async function eventuallyReady(resource: string, name: string, assertion: () => Promise<void>): Promise<void> {
  try {
    await eventually(assertion, 90_000);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${await diagnostics(resource, name)}`, { cause: err });
  }
}

describe('on a scheduling cluster', () => {
  it('brings a local-mode stack with a GPU ModelServer to Ready, as kubectl get shows', async () => {
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], modelServer('mistral', { gpu: { count: 1 }, replicas: 1 }));
    await cluster.kubectlOk(
      ['apply', '-n', ns, '-f', '-'],
      perpetualDeployment('stack', { mode: 'local', models: [{ name: 'mistral-7b', modelServerRef: { name: 'mistral' } }] }),
    );
    await eventuallyReady('ms', 'mistral', async () => {
      expect(await row('ms', 'mistral')).toMatchObject({ READY: 'True', PHASE: 'Ready', GPUS: '1', REPLICAS: '1/1', 'MIN-MAX': 'fixed' });
    });
    await eventuallyReady('pd', 'stack', async () => {
      expect(await row('pd', 'stack')).toMatchObject({ READY: 'True', PHASE: 'Ready', MODE: 'local', GATEWAY: '2/2', MODELS: '1/1' });
    });
    const node = await cluster.kubectlOk([
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      'perpetual.ai/modelserver=mistral',
      '-o',
      'jsonpath={.items[0].spec.nodeName}',
    ]);
    expect(node).toMatch(/^gpu-node-/);
  }, 200_000);

  it('reports InsufficientGPU when a ModelServer wants more GPUs than any node has', async () => {
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], modelServer('huge', { gpu: { count: GPUS_PER_NODE * 2 }, replicas: 1 }));
    await eventually(async () => {
      const ms = JSON.parse(await cluster.kubectlOk(['get', 'ms', 'huge', '-n', ns, '-o', 'json'])) as {
        status: { phase: string; phaseReason: string; conditions: { type: string; status: string; reason: string }[] };
      };
      expect(ms.status.conditions.find((c) => c.type === 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'InsufficientGPU' });
      expect(ms.status.phase).toBe('Pending');
      expect(ms.status.phaseReason).toContain('Insufficient nvidia.com/gpu');
    }, 45_000);
    expect(await row('ms', 'huge')).toMatchObject({ READY: 'False', PHASE: 'Pending', GPUS: '8', REPLICAS: '0/1' });
    await eventually(async () => {
      const events = await cluster.kubectlOk([
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        'involvedObject.name=huge,type=Warning',
        '-o',
        'jsonpath={.items[*].reason}',
      ]);
      expect(events).toContain('InsufficientGPU');
    });
  });

  it('garbage-collects every child when the PerpetualDeployment is deleted', async () => {
    await cluster.kubectlOk(['delete', 'pd', 'stack', '-n', ns, '--wait=true']);
    await eventually(async () => {
      const left = await cluster.kubectlOk([
        'get',
        'deploy,sts,svc,cm,secret,pdb,job',
        '-n',
        ns,
        '-l',
        'perpetual.ai/perpetualdeployment=stack',
        '-o',
        'name',
      ]);
      expect(left.trim()).toBe('');
    }, 45_000);
  });
});
