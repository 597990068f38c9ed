// The main job behind hack/up.sh: a local cluster (real control plane, kwok GPU nodes) with the
// CRDs installed and the samples applied, shown the way a platform team would look at it.
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../test/harness/control-plane.ts';
import { REPO_ROOT } from '../test/harness/processes.ts';

const keep = process.argv.includes('--keep');

async function show(cp: ControlPlane, title: string, args: string[]): Promise<void> {
  const { stdout, stderr } = await cp.kubectl(args);
  console.log(`\n$ kubectl ${args.join(' ')}    # ${title}\n${stdout || stderr}`);
}

async function main(): Promise<void> {
  console.log('Starting a local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)...');
  const cp = await startControlPlane({ profile: 'cluster' });
  try {
    console.log(`Control plane ready in ${String(cp.startupMs)} ms at ${cp.server}`);
    await show(cp, 'fake nodes with GPU capacity', ['get', 'nodes', '-o',
      'custom-columns=NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,GPUS:.status.allocatable.nvidia\\.com/gpu,PRODUCT:.metadata.labels.nvidia\\.com/gpu\\.product']);
    await show(cp, 'the CRDs', ['get', 'crd', '-l', 'app.kubernetes.io/part-of=perpetual']);
    const applied = await cp.kubectl(['apply', '-k', join(REPO_ROOT, 'config/samples')]);
    console.log(`\n$ kubectl apply -k config/samples\n${applied.stdout}${applied.stderr}`);
    await show(cp, 'both kinds (no operator runs yet, so no status)', ['get', 'perpetualdeployments,modelservers']);
    if (keep) {
      console.log(`\nThe control plane keeps running. In another shell:\n  export KUBECONFIG=${cp.kubeconfigPath}\n  ${join(REPO_ROOT, '.bin/kubectl')} get perpetual\nPress Ctrl-C to stop.`);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    }
  } finally {
    await cp.stop();
    console.log('\nStopped the control plane.');
  }
}

await main();
