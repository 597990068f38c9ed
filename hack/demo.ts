// The main job behind hack/up.sh. On a machine that can run a real node (root, runc, namespaces)
// it runs hack/demo-node.ts: everything as real containers. Elsewhere, or with --kwok, this file's
// own path: a local cluster (real control plane, kwok GPU nodes), the CRDs, the operator as its own
// process, the samples reconciled to their real state, and then the whole request path: the
// gateway the operator configured, as a local process, scales the ModelServer from zero and serves
// a chat with memory from a simulated vLLM.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startControlPlane, type ControlPlane } from '../test/harness/control-plane.ts';
import { byLabel, replaceMapFile, startEndpointMap, type EndpointMap } from '../test/support/endpoint-map.ts';
import { checkNodePrerequisites } from '../test/harness/node-network.ts';
import { generateFernetKey } from '../gateway/crypto/fernet.ts';
import { chatWithMemory, show, startDemoGateway, type DemoStack } from './demo-gateway.ts';
import { runOnNode } from './demo-node.ts';
import { freePort, REPO_ROOT, stopProcess, waitFor } from '../test/harness/processes.ts';

const keep = process.argv.includes('--keep');

/** `endpointMap`: where the operator's autoscaler may scrape pods (fake pod IPs are never dialled). */
async function startOperator(cp: ControlPlane, endpointMap: string): Promise<ChildProcess> {
  const port = await freePort();
  const operator = spawn(process.execPath, [join(REPO_ROOT, 'operator/main.ts')], {
    env: {
      ...process.env,
      KUBECONFIG: cp.kubeconfigPath,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      LEADER_ELECTION_NAMESPACE: 'perpetual-system',
      WAITING_REQUEUE_MS: '2000',
      ENDPOINT_MAP_FILE: endpointMap,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor('operator', async () => (await fetch(`http://127.0.0.1:${String(port)}/readyz`)).ok, { timeoutMs: 20_000 });
  console.log(`Operator running (pid ${String(operator.pid)}, metrics on http://127.0.0.1:${String(port)}/metrics)`);
  return operator;
}

/** Waits until every PerpetualDeployment and ModelServer reports Ready=True, or the timeout. */
async function waitForReady(cp: ControlPlane, timeoutMs: number): Promise<void> {
  const readiness = async (): Promise<string> =>
    (await cp.kubectl(['get', 'perpetual', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}']))
      .stdout;
  await waitFor(
    'Ready',
    async () => {
      const states = (await readiness()).trim().split(/\s+/);
      return states.length === 3 && states.every((s) => s === 'True');
    },
    { timeoutMs },
  ).catch(() => {
    console.log('(not everything became Ready in time; the status says why)');
  });
}

const LOCAL: DemoStack = {
  pd: 'perpetual-local',
  modelServer: 'mistral-7b',
  servedModel: 'mistral-7b-instruct',
  namespace: 'default',
  dir: '',
};

/** Writes the gateway's test-only endpoint map once the ModelServer has a Ready pod: "the replica is up". */
async function announceReplica(cp: ControlPlane, file: string, url: string): Promise<void> {
  await waitFor(
    'a Ready ModelServer replica',
    async () => {
      const ready = (
        await cp.kubectl([
          'get',
          'pods',
          '-l',
          `perpetual.ai/modelserver=${LOCAL.modelServer}`,
          '-o',
          'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}',
        ])
      ).stdout;
      return ready.includes('True');
    },
    { timeoutMs: 60_000 },
  );
  replaceMapFile(file, JSON.stringify({ [LOCAL.modelServer]: [url] }));
}

/** The request path: gateway, scale from zero, a chat with memory; kubectl get before and after. */
async function requestPath(cp: ControlPlane, operatorMap: EndpointMap): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'perpetual-demo-'));
  const stack = { ...LOCAL, dir };
  const gatewayMap = join(dir, 'gateway-endpoints.json');
  replaceMapFile(gatewayMap, JSON.stringify({ [LOCAL.modelServer]: [] }));
  console.log(
    '\n--- The request path ---\nStarting PostgreSQL, Redis, the Qdrant emulator, llm-d-inference-sim and the gateway with the configuration the operator rendered...',
  );
  const running = await startDemoGateway(cp, stack, {
    ENDPOINT_MAP_FILE: gatewayMap,
    KUBECONFIG: cp.kubeconfigPath,
    SCALE_TRIGGER: 'kube',
    POD_NAMESPACE: LOCAL.namespace,
    REPLICA_HEALTH_PATH: '/health/ready',
  });
  try {
    await operatorMap.setRoute(
      byLabel([
        { label: 'perpetual.ai/modelserver', value: LOCAL.modelServer, url: running.sim.url },
        { label: 'perpetual.ai/perpetualdeployment', value: LOCAL.pd, url: running.gateway.url },
      ]),
    );
    await show(cp, 'the ModelServer before the first request (scaled to zero)', ['get', 'ms', LOCAL.modelServer]);
    const announced = announceReplica(cp, gatewayMap, running.sim.url);
    await chatWithMemory(running.gateway, running.adminToken, 'mistral-7b-instruct');
    await announced;
    await show(cp, 'after the gateway scaled it from zero', ['get', 'ms', LOCAL.modelServer, '-o', 'wide']);
    await show(cp, 'what it says about its last scale', ['get', 'ms', LOCAL.modelServer, '-o', 'jsonpath={.status.lastScale}']);
  } finally {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log('Starting a local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)...');
  const cp = await startControlPlane({ profile: 'cluster' });
  let operator: ChildProcess | undefined;
  const operatorMap = startEndpointMap(cp.kubeConfig(), LOCAL.namespace);
  try {
    console.log(`Control plane ready in ${String(cp.startupMs)} ms at ${cp.server}`);
    await show(cp, 'fake nodes with GPU capacity', [
      'get',
      'nodes',
      '-o',
      'custom-columns=NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,GPUS:.status.allocatable.nvidia\\.com/gpu,PRODUCT:.metadata.labels.nvidia\\.com/gpu\\.product',
    ]);
    await cp.kubectl(['create', 'namespace', 'perpetual-system']);
    operator = await startOperator(cp, operatorMap.file);
    // The samples refer to these Secrets (a CloudNativePG-style database Secret and the Fernet key).
    await cp.kubectl(['create', 'secret', 'generic', 'perpetual-db-app', '--from-literal=uri=postgresql://app:demo@db.example:5432/app']);
    // A fresh Fernet key, in the form Python's Fernet.generate_key() prints.
    await cp.kubectl([
      'create',
      'secret',
      'generic',
      'perpetual-encryption',
      `--from-literal=API_KEY_ENCRYPTION_KEY=${generateFernetKey()}`,
    ]);
    const applied = await cp.kubectl(['apply', '-k', join(REPO_ROOT, 'config/samples')]);
    console.log(`\n$ kubectl apply -k config/samples\n${applied.stdout}${applied.stderr}`);
    await show(cp, 'right after applying', ['get', 'perpetualdeployments,modelservers']);
    await waitForReady(cp, 60_000);
    await show(cp, 'after the operator reconciled them', ['get', 'perpetualdeployments,modelservers', '-o', 'wide']);
    await show(cp, 'what the operator created for perpetual-proxy', [
      'get',
      'deploy,sts,svc,job,pdb,secret,cm',
      '-l',
      'perpetual.ai/perpetualdeployment=perpetual-proxy',
    ]);
    await show(cp, 'pods (kwok marks them Running; no containers run)', ['get', 'pods', '-o', 'wide']);
    await show(cp, 'conditions of perpetual-local', [
      'get',
      'pd',
      'perpetual-local',
      '-o',
      'jsonpath={range .status.conditions[*]}{.type}{"\\t"}{.status}{"\\t"}{.reason}{"\\t"}{.message}{"\\n"}{end}',
    ]);
    await show(cp, 'events', ['get', 'events', '--field-selector', 'involvedObject.apiVersion=perpetual.ai/v1alpha1']);
    await requestPath(cp, operatorMap);
    if (keep) {
      console.log(
        `\nEverything keeps running. In another shell:\n  export KUBECONFIG=${cp.kubeconfigPath}\n  ${join(REPO_ROOT, '.bin/kubectl')} get perpetual\nPress Ctrl-C to stop.`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    }
  } finally {
    if (operator) await stopProcess(operator);
    await operatorMap.stop();
    await cp.stop();
    console.log('\nStopped the operator and the control plane.');
  }
}

const noNode = process.argv.includes('--kwok')
  ? 'asked for with --kwok'
  : await checkNodePrerequisites().then(
      () => undefined,
      (e: unknown) => String(e instanceof Error ? e.message : e),
    );
if (noNode) {
  console.log(`Running on simulated kwok nodes, not a real node: ${noNode}.`);
  await main();
} else {
  await runOnNode(keep);
}
