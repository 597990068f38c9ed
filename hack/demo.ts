// The main job behind hack/up.sh: a local cluster (real control plane, kwok GPU nodes), the CRDs,
// the operator as its own process, and the samples reconciled to their real state.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../test/harness/control-plane.ts';
import { freePort, REPO_ROOT, stopProcess, waitFor } from '../test/harness/processes.ts';

const keep = process.argv.includes('--keep');

async function show(cp: ControlPlane, title: string, args: string[]): Promise<void> {
  const { stdout, stderr } = await cp.kubectl(args);
  console.log(`\n$ kubectl ${args.join(' ')}    # ${title}\n${stdout || stderr}`);
}

async function startOperator(cp: ControlPlane): Promise<ChildProcess> {
  const port = await freePort();
  const operator = spawn(process.execPath, [join(REPO_ROOT, 'operator/main.ts')], {
    env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port), LEADER_ELECTION_NAMESPACE: 'perpetual-system', WAITING_REQUEUE_MS: '2000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor('operator', async () => (await fetch(`http://127.0.0.1:${String(port)}/readyz`)).ok, { timeoutMs: 20_000 });
  console.log(`Operator running (pid ${String(operator.pid)}, metrics on http://127.0.0.1:${String(port)}/metrics)`);
  return operator;
}

/** Waits until every PerpetualDeployment and ModelServer reports Ready=True, or the timeout. */
async function waitForReady(cp: ControlPlane, timeoutMs: number): Promise<void> {
  const readiness = async (): Promise<string> =>
    (await cp.kubectl(['get', 'perpetual', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}'])).stdout;
  await waitFor('Ready', async () => {
    const states = (await readiness()).trim().split(/\s+/);
    return states.length === 3 && states.every((s) => s === 'True');
  }, { timeoutMs }).catch(() => { console.log('(not everything became Ready in time; the status says why)'); });
}

async function main(): Promise<void> {
  console.log('Starting a local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)...');
  const cp = await startControlPlane({ profile: 'cluster' });
  let operator: ChildProcess | undefined;
  try {
    console.log(`Control plane ready in ${String(cp.startupMs)} ms at ${cp.server}`);
    await show(cp, 'fake nodes with GPU capacity', ['get', 'nodes', '-o',
      'custom-columns=NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,GPUS:.status.allocatable.nvidia\\.com/gpu,PRODUCT:.metadata.labels.nvidia\\.com/gpu\\.product']);
    await cp.kubectl(['create', 'namespace', 'perpetual-system']);
    operator = await startOperator(cp);
    // The samples refer to these Secrets (a CloudNativePG-style database Secret and the Fernet key).
    await cp.kubectl(['create', 'secret', 'generic', 'perpetual-db-app', '--from-literal=uri=postgresql://app:demo@db.example:5432/app']);
    await cp.kubectl(['create', 'secret', 'generic', 'perpetual-encryption', '--from-literal=API_KEY_ENCRYPTION_KEY=Z2VuZXJhdGUtb25lLXdpdGgtRmVybmV0LmdlbmVyYXRlX2tleSgp']);
    const applied = await cp.kubectl(['apply', '-k', join(REPO_ROOT, 'config/samples')]);
    console.log(`\n$ kubectl apply -k config/samples\n${applied.stdout}${applied.stderr}`);
    await show(cp, 'right after applying', ['get', 'perpetualdeployments,modelservers']);
    await waitForReady(cp, 60_000);
    await show(cp, 'after the operator reconciled them', ['get', 'perpetualdeployments,modelservers', '-o', 'wide']);
    await show(cp, 'what the operator created for perpetual-proxy', ['get', 'deploy,sts,svc,job,pdb,secret,cm', '-l', 'perpetual.ai/perpetualdeployment=perpetual-proxy']);
    await show(cp, 'pods (kwok marks them Running; no containers run)', ['get', 'pods', '-o', 'wide']);
    await show(cp, 'conditions of perpetual-local', ['get', 'pd', 'perpetual-local', '-o',
      'jsonpath={range .status.conditions[*]}{.type}{"\\t"}{.status}{"\\t"}{.reason}{"\\t"}{.message}{"\\n"}{end}']);
    await show(cp, 'events', ['get', 'events', '--field-selector', 'involvedObject.apiVersion=perpetual.ai/v1alpha1']);
    if (keep) {
      console.log(`\nEverything keeps running. In another shell:\n  export KUBECONFIG=${cp.kubeconfigPath}\n  ${join(REPO_ROOT, '.bin/kubectl')} get perpetual\nPress Ctrl-C to stop.`);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    }
  } finally {
    if (operator) await stopProcess(operator);
    await cp.stop();
    console.log('\nStopped the operator and the control plane.');
  }
}

await main();
