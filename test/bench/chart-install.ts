// How long installing the operator with Helm takes on the API profile (etcd + kube-apiserver), next
// to applying the same objects with kubectl: the ratio is what Helm itself adds (rendering, its
// release Secret, ownership checks).
//
//   node test/bench/chart-install.ts [rounds]     (default: 5)
//
// Each round, in alternating order:
//   helm      helm install perpetual charts/perpetual (CRDs taken over, as the harness applied
//             them), then helm uninstall (which keeps the CRDs);
//   baseline  kubectl apply --server-side -k config/default (the same objects, a test proves it),
//             then kubectl delete of the same objects less the Namespace and the CRDs.
// Nothing waits for pods: the API profile runs no controllers.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startControlPlane } from '../harness/control-plane.ts';
import { REPO_ROOT } from '../harness/processes.ts';
import { percentile } from './support/stats.ts';

const rounds = Number(process.argv[2] ?? 5);
const NAMESPACE = 'perpetual-system';

async function timed(tool: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  try {
    await promisify(execFile)(join(REPO_ROOT, '.bin', tool), args, { env, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    throw new Error(`${tool} ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`, { cause: err });
  }
  return performance.now() - started;
}

async function main(): Promise<void> {
  const cp = await startControlPlane({ profile: 'api' });
  const helmHome = mkdtempSync(join(tmpdir(), 'perpetual-helm-bench-'));
  const env = {
    ...process.env,
    KUBECONFIG: cp.kubeconfigPath,
    HELM_CONFIG_HOME: helmHome,
    HELM_CACHE_HOME: helmHome,
    HELM_DATA_HOME: helmHome,
  };
  const helm = (args: string[]) => timed('helm', args, env);
  const kubectl = (args: string[]) => timed('kubectl', args, env);
  const operatorObjects = [
    'deployment/perpetual-operator',
    'serviceaccount/perpetual-operator',
    'service/perpetual-operator-metrics',
    'role/perpetual-operator-leader-election',
    'rolebinding/perpetual-operator-leader-election',
  ];
  try {
    await kubectl(['create', 'namespace', NAMESPACE]);
    const times = { helm: [] as number[], baseline: [] as number[] };
    const runHelm = async () => {
      times.helm.push(
        await helm(['install', 'perpetual', join(REPO_ROOT, 'charts/perpetual'), '-n', NAMESPACE, '--take-ownership', '--force-conflicts']),
      );
      await helm(['uninstall', 'perpetual', '-n', NAMESPACE]);
    };
    const runBaseline = async () => {
      times.baseline.push(await kubectl(['apply', '--server-side', '--force-conflicts', '-k', join(REPO_ROOT, 'config/default')]));
      await kubectl([
        'delete',
        '-n',
        NAMESPACE,
        ...operatorObjects,
        'clusterrole/perpetual-operator',
        'clusterrolebinding/perpetual-operator',
      ]);
    };
    // One unmeasured round each: the first exec of each binary pays for reading it from disk.
    await runHelm();
    await runBaseline();
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        await runHelm();
        await runBaseline();
      } else {
        await runBaseline();
        await runHelm();
      }
    }
    const median = (values: number[]) => percentile(values, 50);
    const summary = {
      rounds,
      helmInstallMs: { p50: Math.round(median(times.helm)), max: Math.round(Math.max(...times.helm)) },
      kubectlApplyMs: { p50: Math.round(median(times.baseline)), max: Math.round(Math.max(...times.baseline)) },
      ratio: Math.round((median(times.helm) / median(times.baseline)) * 100) / 100,
    };
    console.log(
      `helm install: p50 ${String(summary.helmInstallMs.p50)} ms (max ${String(summary.helmInstallMs.max)}); kubectl apply --server-side -k config/default: p50 ${String(summary.kubectlApplyMs.p50)} ms (max ${String(summary.kubectlApplyMs.max)}); ratio ${String(summary.ratio)}`,
    );
    console.log(JSON.stringify(summary));
  } finally {
    rmSync(helmHome, { recursive: true, force: true });
    await cp.stop();
  }
}

await main();
