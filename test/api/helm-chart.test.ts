// charts/perpetual on a real kube-apiserver, as a platform team runs it: helm install, upgrade and
// uninstall (helm built from its Go module). The release has its own name and namespace, so its
// ClusterRole and binding never meet config/rbac's from other files; the CRDs already installed
// from crds/ by the harness are taken over (--take-ownership), as when a cluster moves from
// `kubectl apply -k config/default` to the chart. The API tier runs no controllers: nothing waits
// for pods.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../harness/processes.ts';
import { eventually } from '../support/eventually.ts';
import { perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';

const cluster = testCluster();
const chart = join(REPO_ROOT, 'charts/perpetual');
const scratch = mkdtempSync(join(tmpdir(), 'perpetual-helm-'));
let ns = '';
let release = '';
let operatorName = '';

const CRDS = ['modelservers.perpetual.ai', 'perpetualdeployments.perpetual.ai'];
const PROMETHEUS_OPERATOR_KINDS = [
  { plural: 'servicemonitors', kind: 'ServiceMonitor' },
  { plural: 'podmonitors', kind: 'PodMonitor' },
  { plural: 'prometheusrules', kind: 'PrometheusRule' },
];
const ALL_MONITORING = ['operatorServiceMonitor', 'gatewayServiceMonitor', 'vllmPodMonitor', 'prometheusRule', 'dashboards'].map(
  (toggle) => `--set=monitoring.${toggle}.enabled=true`,
);

async function helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  // Helm's own config, cache and data in a scratch directory: nothing read from or left in $HOME.
  const env = {
    ...process.env,
    KUBECONFIG: cluster.kubeconfigPath,
    HELM_CONFIG_HOME: scratch,
    HELM_CACHE_HOME: scratch,
    HELM_DATA_HOME: scratch,
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(join(REPO_ROOT, '.bin/helm'), args, { env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr, ms: performance.now() - started };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '', ms: performance.now() - started };
  }
}

async function helmOk(args: string[]): Promise<{ stdout: string; ms: number }> {
  const result = await helm(args);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed: ${result.stderr}`);
  return result;
}

async function json<T>(args: string[]): Promise<T> {
  return JSON.parse(await cluster.kubectlOk([...args, '-o', 'json'])) as T;
}

async function exists(args: string[]): Promise<boolean> {
  return (await cluster.kubectl(['get', ...args])).code === 0;
}

interface Crd {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { versions: { schema: { openAPIV3Schema: { description?: string } } }[] };
}

/** A stand-in for the Prometheus Operator's CRDs: the API group and kinds, any content. */
function prometheusOperatorCrds(): string {
  return PROMETHEUS_OPERATOR_KINDS.map(({ plural, kind }) =>
    stringify({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.monitoring.coreos.com` },
      spec: {
        group: 'monitoring.coreos.com',
        scope: 'Namespaced',
        names: { plural, kind, singular: kind.toLowerCase(), listKind: `${kind}List` },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    }),
  ).join('---\n');
}

beforeAll(async () => {
  ns = await cluster.createNamespace('helm');
  release = ns; // e.g. helm-3f9a1c: names become helm-3f9a1c-perpetual-operator
  operatorName = `${release}-perpetual-operator`;
});

afterAll(async () => {
  await helm(['uninstall', release, '-n', ns]);
  await cluster.kubectl([
    'delete',
    'crd',
    ...PROMETHEUS_OPERATOR_KINDS.map((k) => `${k.plural}.monitoring.coreos.com`),
    '--ignore-not-found',
  ]);
  // Leave the CRDs as crds/ has them (another file may come next): Helm's marks off, crds/ applied again.
  await cluster.kubectl([
    'annotate',
    'crd',
    ...CRDS,
    'meta.helm.sh/release-name-',
    'meta.helm.sh/release-namespace-',
    'helm.sh/resource-policy-',
  ]);
  await cluster.kubectl([
    'label',
    'crd',
    ...CRDS,
    'app.kubernetes.io/instance-',
    'app.kubernetes.io/version-',
    'app.kubernetes.io/managed-by-',
    'helm.sh/chart-',
  ]);
  await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-k', join(REPO_ROOT, 'crds')]);
  rmSync(scratch, { recursive: true, force: true });
});

describe('helm install, upgrade and uninstall on the API server', () => {
  it('installs the operator, its RBAC and the CRDs; monitors are skipped with a note where the Prometheus Operator is absent', async () => {
    const install = await helmOk(['install', release, chart, '-n', ns, '--take-ownership', ...ALL_MONITORING]);
    console.log(`[helm] chart installed in ${String(Math.round(install.ms))} ms`);
    expect(install.stdout).toContain('STATUS: deployed');
    expect(install.stdout).toMatch(
      /Skipped: monitoring\.operatorServiceMonitor, monitoring\.gatewayServiceMonitor, monitoring\.vllmPodMonitor, monitoring\.prometheusRule\./,
    );

    const deployment = await json<{ spec: { replicas: number; template: { spec: { serviceAccountName: string } } } }>([
      'get',
      'deployment',
      operatorName,
      '-n',
      ns,
    ]);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.serviceAccountName).toBe(operatorName);
    for (const object of [
      ['serviceaccount', operatorName, '-n', ns],
      ['service', `${operatorName}-metrics`, '-n', ns],
      ['clusterrole', operatorName],
      ['clusterrolebinding', operatorName],
      ['role', `${operatorName}-leader-election`, '-n', ns],
      ['poddisruptionbudget', operatorName, '-n', ns],
      ['configmap', `${release}-perpetual-dashboard-gateway`, '-n', ns],
    ]) {
      expect(await exists(object), object.join(' ')).toBe(true);
    }
    for (const crd of CRDS) {
      const { metadata } = await json<Crd>(['get', 'crd', crd]);
      expect(metadata.annotations?.['meta.helm.sh/release-name']).toBe(release);
      expect(metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    }
  });

  it('grants the ServiceAccount what the operator needs, in every namespace and for its Lease', async () => {
    const as = `--as=system:serviceaccount:${ns}:${operatorName}`;
    const canI = async (...args: string[]) => (await cluster.kubectl(['auth', 'can-i', as, ...args])).stdout.trim();
    expect(await canI('patch', 'perpetualdeployments.perpetual.ai', '--subresource=status', '-n', 'default')).toBe('yes');
    expect(await canI('patch', 'modelservers.perpetual.ai', '--subresource=scale', '-n', 'default')).toBe('yes');
    expect(await canI('create', 'deployments.apps', '-n', 'default')).toBe('yes');
    expect(await canI('update', 'leases.coordination.k8s.io', '-n', ns)).toBe('yes');
    expect(await canI('update', 'leases.coordination.k8s.io', '-n', 'default')).toBe('no');
    expect(await canI('patch', 'perpetualdeployments.perpetual.ai', '-n', 'default')).toBe('no');
  });

  it('upgrades values and the CRDs themselves (a chart in crds/ would never update them)', async () => {
    // The next chart version, as far as the CRDs go: a changed description in the schema.
    const next = join(scratch, 'perpetual');
    cpSync(chart, next, { recursive: true });
    const template = join(next, 'templates/crds/perpetual.ai_modelservers.yaml');
    const original = readFileSync(template, 'utf8');
    const changed = original.replace(
      /^(\s+openAPIV3Schema:\n\s+type: object\n\s+description: ).*$/m,
      '$1A ModelServer, as the next chart version describes it.',
    );
    expect(changed).not.toBe(original);
    writeFileSync(template, changed);

    // --force-conflicts: the harness applied the CRDs with kubectl's field manager, as a cluster
    // moving from kubectl apply -k would have; the chart takes the fields over.
    const upgrade = await helmOk([
      'upgrade',
      release,
      next,
      '-n',
      ns,
      '--reuse-values',
      '--force-conflicts',
      '--set=logLevel=debug',
      '--set=replicaCount=1',
    ]);
    console.log(`[helm] chart upgraded in ${String(Math.round(upgrade.ms))} ms`);
    expect(upgrade.stdout).toContain('REVISION: 2');
    const crd = await json<Crd>(['get', 'crd', 'modelservers.perpetual.ai']);
    expect(crd.spec.versions[0]?.schema.openAPIV3Schema.description).toBe('A ModelServer, as the next chart version describes it.');
    const deployment = await json<{
      spec: { replicas: number; template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
    }>(['get', 'deployment', operatorName, '-n', ns]);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.template.spec.containers[0]?.env).toContainEqual({ name: 'LOG_LEVEL', value: 'debug' });

    // And back to this chart's CRDs.
    await helmOk(['upgrade', release, chart, '-n', ns, '--reuse-values', '--force-conflicts']);
    const restored = await json<Crd>(['get', 'crd', 'modelservers.perpetual.ai']);
    expect(restored.spec.versions[0]?.schema.openAPIV3Schema.description).not.toBe(
      'A ModelServer, as the next chart version describes it.',
    );
  });

  it('refuses invalid values before touching the cluster, naming the field', async () => {
    const result = await helm(['upgrade', release, chart, '-n', ns, '--reuse-values', '--set=monitoring.prometheusRule.enabled=yes']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('/monitoring/prometheusRule/enabled');
    expect(await helmOk(['history', release, '-n', ns, '--max', '1'])).toMatchObject({
      stdout: expect.stringContaining('deployed') as unknown,
    });
  });

  it('kubectl apply -k config/prometheus applies nothing without the Prometheus Operator, everything with it', async () => {
    const without = await cluster.kubectl(['apply', '-n', ns, '-k', join(REPO_ROOT, 'config/prometheus')]);
    expect(without.code).not.toBe(0);
    expect(without.stderr).toMatch(/ensure CRDs are installed first/);
    expect(without.stdout).not.toMatch(/created|configured/);

    await cluster.kubectl(['create', 'namespace', 'perpetual-system']); // config/'s namespace; another file may have made it
    await cluster.kubectlOk(['apply', '-f', '-'], prometheusOperatorCrds());
    await eventually(async () => {
      expect(await cluster.kubectlOk(['api-versions'])).toContain('monitoring.coreos.com/v1');
    });
    const applied = await cluster.kubectlOk(['apply', '--dry-run=server', '-k', join(REPO_ROOT, 'config/prometheus')]);
    expect(applied.match(/created/g)).toHaveLength(4);
  });

  it("applies the monitors on the next upgrade once the Prometheus Operator's API is served", async () => {
    const upgrade = await helmOk(['upgrade', release, chart, '-n', ns, '--reuse-values']);
    expect(upgrade.stdout).not.toContain('Skipped:');
    for (const name of [
      `servicemonitor/${release}-perpetual-operator`,
      `servicemonitor/${release}-perpetual-gateway`,
      `podmonitor/${release}-perpetual-vllm`,
      `prometheusrule/${release}-perpetual-alerts`,
    ]) {
      expect(await exists([name, '-n', ns]), name).toBe(true);
    }
    const rule = await json<{ spec: { groups: { rules: { alert?: string }[] }[] } }>([
      'get',
      'prometheusrule',
      `${release}-perpetual-alerts`,
      '-n',
      ns,
    ]);
    expect(rule.spec.groups.flatMap((g) => g.rules).map((r) => r.alert)).toContain('PerpetualOperatorNoLeader');
  });

  it('uninstalls everything but the CRDs, so no PerpetualDeployment in the cluster is deleted with it', async () => {
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], secretsManifest());
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], perpetualDeployment('survivor'));
    const uninstall = await helmOk(['uninstall', release, '-n', ns]);
    console.log(`[helm] chart uninstalled in ${String(Math.round(uninstall.ms))} ms`);
    expect(uninstall.stdout).toMatch(/These resources were kept due to the resource policy:[\s\S]*CustomResourceDefinition/);
    for (const object of [
      ['deployment', operatorName, '-n', ns],
      ['clusterrole', operatorName],
      ['clusterrolebinding', operatorName],
      [`servicemonitor/${release}-perpetual-gateway`, '-n', ns],
    ]) {
      expect(await exists(object), object.join(' ')).toBe(false);
    }
    for (const crd of CRDS) expect(await exists(['crd', crd]), crd).toBe(true);
    expect(await exists(['pd', 'survivor', '-n', ns])).toBe(true);
  });
});
