// The namespace-scoped install: the chart with watchNamespaces renders a Role in each watched
// namespace instead of the ClusterRole, and the operator, run with WATCH_NAMESPACES under that
// ServiceAccount's token, reconciles what is in its namespace, ignores what is elsewhere, and is
// never refused (every list and watch is namespaced).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT } from '../harness/processes.ts';
import { eventually } from '../support/eventually.ts';
import { modelServer, perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
const scratch = mkdtempSync(join(tmpdir(), 'perpetual-watch-ns-'));
let operatorNs = '';
let watched = '';
let other = '';
let operator: OperatorProcess | undefined;

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** The chart's RBAC for `release` in `namespace`, with watchNamespaces=[watched]. */
async function chartRbac(release: string): Promise<Manifest[]> {
  const env = { ...process.env, HELM_CONFIG_HOME: scratch, HELM_CACHE_HOME: scratch, HELM_DATA_HOME: scratch };
  const args = [
    'template',
    release,
    join(REPO_ROOT, 'charts/perpetual'),
    '-n',
    operatorNs,
    `--set=watchNamespaces={${watched}}`,
    '--set=crds.install=false',
  ];
  const { stdout } = await promisify(execFile)(join(REPO_ROOT, '.bin/helm'), args, { env, maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter(
      (d): d is Manifest => d !== null && ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(d.kind),
    );
}

/** The admin kubeconfig with its credentials swapped for `token`. */
function kubeconfigWithToken(token: string): string {
  const config = parse(readFileSync(cluster.kubeconfigPath, 'utf8')) as { users: { user: Record<string, string> }[] };
  for (const user of config.users) user.user = { token };
  const path = join(scratch, 'kubeconfig');
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

beforeAll(async () => {
  operatorNs = await cluster.createNamespace('op');
  watched = await cluster.createNamespace('watched');
  other = await cluster.createNamespace('other');
  const rbac = await chartRbac(operatorNs);
  expect(rbac.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}`).sort()).toEqual([
    `Role ${operatorNs}`, // the leader election Lease
    `Role ${watched}`,
    `RoleBinding ${operatorNs}`,
    `RoleBinding ${watched}`,
    `ServiceAccount ${operatorNs}`,
  ]);
  await cluster.kubectlOk(['apply', '-f', '-'], rbac.map((o) => stringify(o)).join('---\n'));
  const serviceAccount = rbac.find((o) => o.kind === 'ServiceAccount')?.metadata.name ?? '';
  const token = (await cluster.kubectlOk(['create', 'token', serviceAccount, '-n', operatorNs, '--duration=1h'])).trim();
  for (const ns of [watched, other]) await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], secretsManifest());
  // The one it must ignore exists first.
  await cluster.kubectlOk(['apply', '-n', other, '-f', '-'], perpetualDeployment('app'));
  operator = await startOperator({
    kubeconfigPath: kubeconfigWithToken(token),
    env: { WATCH_NAMESPACES: watched, POD_NAMESPACE: operatorNs, LEADER_ELECTION_NAMESPACE: operatorNs },
  });
});

afterAll(async () => {
  await operator?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the operator with WATCH_NAMESPACES and only Roles (chart watchNamespaces)', () => {
  it('reconciles a PerpetualDeployment and a ModelServer in its namespace, with no Forbidden', async () => {
    await cluster.kubectlOk(['apply', '-n', watched, '-f', '-'], perpetualDeployment('app'));
    await cluster.kubectlOk(['apply', '-n', watched, '-f', '-'], modelServer('ms'));
    await eventually(async () => {
      const status = await cluster.kubectlOk([
        'get',
        'pd/app',
        'ms/ms',
        '-n',
        watched,
        '-o',
        'jsonpath={range .items[*]}{.status.observedGeneration}{" "}{end}',
      ]);
      expect(status.trim()).toBe('1 1');
      const children = await cluster.kubectlOk(['get', 'deploy,sts,svc,secret,networkpolicy', '-n', watched, '-o', 'name']);
      expect(children).toContain('deployment.apps/app-gateway');
      expect(children).toContain('deployment.apps/ms-vllm');
    });
    await eventually(async () => {
      expect(await operator?.metrics()).toMatch(
        new RegExp(`^perpetual_operator_condition\\{kind="PerpetualDeployment",namespace="${watched}",name="app",type="Ready",`, 'm'),
      );
    });
    expect(operator?.logs()).not.toMatch(/forbidden|HTTP 403/i);
    expect(await operator?.counter('perpetual_operator_leader')).toBe(1);
  });

  it('ignores the PerpetualDeployment in a namespace it does not watch', async () => {
    // Several reconcile rounds of the watched stack have passed (WAITING_REQUEUE_MS is 1 s in tests).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await cluster.kubectlOk(['get', 'pd/app', '-n', other, '-o', 'jsonpath={.status}'])).toBe('');
    expect((await cluster.kubectlOk(['get', 'deploy,sts,svc,networkpolicy', '-n', other, '-o', 'name'])).trim()).toBe('');
    expect(await operator?.metrics()).not.toContain(`namespace="${other}"`);
    expect(operator?.logs()).not.toContain(other);
    expect(operator?.logs()).not.toMatch(/forbidden|HTTP 403/i);
  });
});
