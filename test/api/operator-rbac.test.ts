// The RBAC in config/rbac is enough: the operator, as its image runs it (the bundled entry point),
// runs under that ServiceAccount's token and reconciles both kinds without a single Forbidden.
// The same bundle is checked for what keeps it small in memory.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../harness/processes.ts';
import { eventually } from '../support/eventually.ts';
import { modelServer, perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { imageRuntime, startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
let ns = '';
let operator: OperatorProcess;
let entry = '';

/** The admin kubeconfig with its credentials swapped for `token`. */
function kubeconfigWithToken(token: string): string {
  const config = parse(readFileSync(cluster.kubeconfigPath, 'utf8')) as { users: { user: Record<string, string> }[] };
  for (const user of config.users) user.user = { token };
  const path = `${cluster.kubeconfigPath}.operator-sa`;
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

beforeAll(async () => {
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  await cluster.kubectlOk(['apply', '-k', join(REPO_ROOT, 'config/rbac')]);
  const token = (await cluster.kubectlOk(['create', 'token', 'perpetual-operator', '-n', 'perpetual-system', '--duration=1h'])).trim();
  ns = await cluster.createNamespace('rbac');
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], secretsManifest());
  // As the image runs it: the bundled entry point with config/manager's runtime settings.
  const image = await imageRuntime(dirname(cluster.kubeconfigPath));
  entry = image.entry ?? '';
  operator = await startOperator({ kubeconfigPath: kubeconfigWithToken(token), ...image });
});

afterAll(async () => {
  await operator.stop();
});

describe('the operator under its own ServiceAccount (config/rbac)', () => {
  it('reconciles a PerpetualDeployment and a ModelServer with no Forbidden', async () => {
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], perpetualDeployment('app', { gateway: { autoscaling: { maxReplicas: 3 } } }));
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], modelServer('ms', { cache: { size: '10Gi' } }));
    await eventually(async () => {
      const status = await cluster.kubectlOk([
        'get',
        'pd/app',
        'ms/ms',
        '-n',
        ns,
        '-o',
        'jsonpath={range .items[*]}{.status.observedGeneration}{" "}{end}',
      ]);
      expect(status.trim()).toBe('1 1');
      const children = await cluster.kubectlOk(['get', 'deploy,sts,svc,cm,secret,pdb,hpa,job,pvc', '-n', ns, '-o', 'name']);
      expect(children).toContain('horizontalpodautoscaler.autoscaling/app-gateway');
      expect(children).toContain('persistentvolumeclaim/ms-weights');
      expect(children).toContain('secret/app-redis-password');
    });
    // Events are written too (the missing PVC binding makes none here, but the phase change does).
    await eventually(async () => {
      expect(
        await cluster.kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.kind=PerpetualDeployment', '-o', 'name']),
      ).not.toBe('');
    });
    expect(operator.logs()).not.toMatch(/forbidden|HTTP 403/i);
    expect(await operator.counter('perpetual_operator_leader')).toBe(1);
  });

  it('exports each condition of both objects as perpetual_operator_condition, named by namespace and name', async () => {
    await eventually(async () => {
      const ready = await cluster.kubectlOk(['get', 'pd/app', '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].reason}']);
      const metrics = await operator.metrics();
      expect(metrics).toContain(
        `perpetual_operator_condition{kind="PerpetualDeployment",namespace="${ns}",name="app",type="Ready",reason="${ready.trim()}",status="False"} 1`,
      );
      expect(metrics).toMatch(
        new RegExp(`^perpetual_operator_condition\\{kind="ModelServer",namespace="${ns}",name="ms",type="ScalingLimited",[^}]*\\} 1$`, 'm'),
      );
    });
  });
});

describe('the image entry point', () => {
  it('is pure ASCII (one other character and V8 holds the whole 2.4 MB source as UTF-16)', () => {
    // Read as latin1, every byte is one character: a UTF-8 sequence shows as bytes >= 0x80.
    expect(readFileSync(entry, 'latin1')).not.toMatch(/[\u0080-\u00ff]/);
  });
});
