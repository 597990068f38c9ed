// charts/perpetual without a cluster: helm lint, the schema naming bad values, and the chart and
// config/ rendering the same objects (`helm template` against `kubectl kustomize`), so the two
// installs never drift. test/api/helm-chart.test.ts installs the chart on a real API server.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { OPERATOR_POD_LABELS } from '../operator/api/v1alpha1/labels.ts';
import { OPERATOR_VERSION } from '../operator/config.ts';

const repoRoot = join(import.meta.dirname, '..');
const chart = join(repoRoot, 'charts/perpetual');

async function run(tool: 'helm' | 'kubectl', args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = join(repoRoot, '.bin', tool);
  if (!existsSync(path)) throw new Error(`${path} is missing: run hack/build-binaries.sh`);
  try {
    const { stdout, stderr } = await promisify(execFile)(path, args, { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** Labels and annotations Helm adds and config/ has no reason to carry. */
const HELM_LABELS = ['app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'helm.sh/chart'];
const HELM_ANNOTATIONS = ['helm.sh/resource-policy'];

function withoutHelmMetadata(object: Manifest): Manifest {
  const { labels, annotations, ...metadata } = object.metadata;
  const keep = (record: Record<string, string> | undefined, drop: string[]) => {
    const rest = Object.fromEntries(Object.entries(record ?? {}).filter(([key]) => !drop.includes(key)));
    return Object.keys(rest).length > 0 ? rest : undefined;
  };
  const kept = { labels: keep(labels, HELM_LABELS), annotations: keep(annotations, HELM_ANNOTATIONS) };
  return {
    ...object,
    metadata: {
      ...metadata,
      ...(kept.labels ? { labels: kept.labels } : {}),
      ...(kept.annotations ? { annotations: kept.annotations } : {}),
    },
  };
}

const keyOf = (o: Manifest): string => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function objects(yaml: string): Map<string, Manifest> {
  const docs = parseAllDocuments(yaml)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
  return new Map(docs.map((d) => [keyOf(d), d]));
}

async function helmTemplate(...args: string[]): Promise<Map<string, Manifest>> {
  const result = await run('helm', ['template', 'perpetual', chart, '--namespace', 'perpetual-system', ...args]);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return objects(result.stdout);
}

async function kustomize(dir: string): Promise<Map<string, Manifest>> {
  const result = await run('kubectl', ['kustomize', join(repoRoot, dir)]);
  if (result.code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr}`);
  return objects(result.stdout);
}

/** Both renderings, Helm's additions removed, keyed the same way, each object compared whole. */
function expectSameObjects(fromChart: Map<string, Manifest>, fromConfig: Map<string, Manifest>): void {
  expect([...fromChart.keys()].sort()).toEqual([...fromConfig.keys()].sort());
  for (const [key, object] of fromConfig) expect(withoutHelmMetadata(fromChart.get(key) as Manifest), key).toEqual(object);
}

const allMonitoring = ['operatorServiceMonitor', 'gatewayServiceMonitor', 'vllmPodMonitor', 'prometheusRule', 'dashboards'].map(
  (toggle) => `--set=monitoring.${toggle}.enabled=true`,
);

describe('Chart.yaml', () => {
  it("names the operator's version as appVersion, the default tag of both images", () => {
    const meta = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    expect(meta.appVersion).toBe(OPERATOR_VERSION);
  });
});

describe('helm lint', () => {
  it('passes with the default values and with the whole observability pack on', async () => {
    for (const args of [[], allMonitoring]) {
      const result = await run('helm', ['lint', '--strict', chart, ...args]);
      expect(result.stdout + result.stderr).toContain('0 chart(s) failed');
      expect(result.code).toBe(0);
    }
  });
});

describe('the chart and config/', () => {
  it('render the same objects: config/default is the chart with its defaults, less the Namespace (helm install --create-namespace)', async () => {
    const fromConfig = await kustomize('config/default');
    expect(fromConfig.has('Namespace /perpetual-system')).toBe(true);
    fromConfig.delete('Namespace /perpetual-system');
    const fromChart = await helmTemplate();
    expect(fromChart.size).toBeGreaterThanOrEqual(10); // two CRDs, RBAC, ServiceAccount, Deployment, metrics Service, PDB
    expectSameObjects(fromChart, fromConfig);
  });

  it('render the same observability pack: config/prometheus and config/grafana are the chart with every monitoring toggle on', async () => {
    const fromConfig = new Map([...(await kustomize('config/prometheus')), ...(await kustomize('config/grafana'))]);
    const base = await helmTemplate();
    const withPack = await helmTemplate(...allMonitoring, '--api-versions=monitoring.coreos.com/v1');
    const pack = new Map([...withPack].filter(([key]) => !base.has(key)));
    expect([...pack.keys()].sort()).toEqual([
      'ConfigMap perpetual-system/perpetual-dashboard-gateway',
      'ConfigMap perpetual-system/perpetual-dashboard-models',
      'ConfigMap perpetual-system/perpetual-dashboard-operator',
      'PodMonitor perpetual-system/perpetual-vllm',
      'PrometheusRule perpetual-system/perpetual-alerts',
      'ServiceMonitor perpetual-system/perpetual-gateway',
      'ServiceMonitor perpetual-system/perpetual-operator',
    ]);
    expectSameObjects(pack, fromConfig);
  });

  it('differ where a value says so', async () => {
    const changed = await helmTemplate(
      '--set=replicaCount=3',
      '--set=logLevel=debug',
      '--set=image.tag=0.2.0',
      '--set=nodeSelector.pool=system',
    );
    const deployment = changed.get('Deployment perpetual-system/perpetual-operator') as Manifest & {
      spec: {
        replicas: number;
        template: {
          spec: { nodeSelector: Record<string, string>; containers: { image: string; env: { name: string; value?: string }[] }[] };
        };
      };
    };
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ pool: 'system' });
    expect(deployment.spec.template.spec.containers[0]?.image).toBe('ghcr.io/perpetual-ai/perpetual-operator:0.2.0');
    expect(deployment.spec.template.spec.containers[0]?.env).toContainEqual({ name: 'LOG_LEVEL', value: 'debug' });
  });
});

describe('watchNamespaces', () => {
  type Rbac = Manifest & {
    rules?: unknown[];
    roleRef?: { kind: string; name: string };
    subjects?: { kind: string; name: string; namespace: string }[];
  };
  type Deployment = Manifest & { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
  const operatorEnv = (rendered: Map<string, Manifest>) =>
    (rendered.get('Deployment perpetual-system/perpetual-operator') as Deployment).spec.template.spec.containers[0]?.env ?? [];

  it("grants config/rbac's rules as a Role in each watched namespace instead of the ClusterRole, and tells the operator", async () => {
    const rendered = await helmTemplate('--set=watchNamespaces={team-a,team-b}');
    const clusterRole = (await kustomize('config/default')).get('ClusterRole /perpetual-operator') as Rbac;
    expect([...rendered.keys()].filter((k) => k.startsWith('ClusterRole'))).toEqual([]);
    for (const ns of ['team-a', 'team-b']) {
      const role = rendered.get(`Role ${ns}/perpetual-operator`) as Rbac;
      expect(role.rules).toEqual(clusterRole.rules);
      const binding = rendered.get(`RoleBinding ${ns}/perpetual-operator`) as Rbac;
      expect(binding.roleRef).toMatchObject({ kind: 'Role', name: 'perpetual-operator' });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'perpetual-operator', namespace: 'perpetual-system' }]);
    }
    // The Lease stays where the operator runs.
    expect(rendered.has('Role perpetual-system/perpetual-operator-leader-election')).toBe(true);
    expect(operatorEnv(rendered)).toContainEqual({ name: 'WATCH_NAMESPACES', value: 'team-a,team-b' });
  });

  it('is empty by default: the ClusterRole and its binding, no WATCH_NAMESPACES', async () => {
    const rendered = await helmTemplate();
    expect(rendered.has('ClusterRole /perpetual-operator')).toBe(true);
    expect(rendered.has('ClusterRoleBinding /perpetual-operator')).toBe(true);
    expect([...rendered.keys()].filter((k) => k.startsWith('Role ') && !k.endsWith('-leader-election'))).toEqual([]);
    expect(operatorEnv(rendered).map((e) => e.name)).not.toContain('WATCH_NAMESPACES');
  });
});

describe('the operator pods', () => {
  it("carry the labels the stacks' NetworkPolicies admit the operator by (OPERATOR_POD_LABELS), from config/ and from the chart", async () => {
    type Deployment = Manifest & { spec: { template: { metadata: { labels: Record<string, string> } } } };
    const fromConfig = (await kustomize('config/default')).get('Deployment perpetual-system/perpetual-operator') as Deployment;
    const fromChart = (await helmTemplate('--set=podLabels.team=platform')).get(
      'Deployment perpetual-system/perpetual-operator',
    ) as Deployment;
    for (const deployment of [fromConfig, fromChart]) expect(deployment.spec.template.metadata.labels).toMatchObject(OPERATOR_POD_LABELS);
  });
});

describe('the observability pack without the Prometheus Operator', () => {
  it('renders no monitoring.coreos.com object (dashboards are plain ConfigMaps and stay)', async () => {
    const rendered = await helmTemplate(...allMonitoring);
    expect([...rendered.values()].filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))).toEqual([]);
    expect([...rendered.keys()].filter((k) => k.startsWith('ConfigMap '))).toHaveLength(3);
  });
});

describe('invalid values', () => {
  it.each([
    [['--set=replicaCount=0'], '/replicaCount'],
    [['--set=replicaCount=two'], '/replicaCount'],
    [['--set=logLevel=loud'], '/logLevel'],
    [['--set=image.pullPolicy=Sometimes'], '/image/pullPolicy'],
    [['--set=resources.requests.memory=lots'], '/resources/requests/memory'],
    [['--set=monitoring.prometheusRule.enabled=yes'], '/monitoring/prometheusRule/enabled'],
    [['--set=monitoring.dashbords.enabled=true'], "additional properties 'dashbords' not allowed"],
    [['--set=crds.instal=false'], "additional properties 'instal' not allowed"],
    [['--set=watchNamespaces={Team_A}'], '/watchNamespaces/0'],
    [['--set=watchNamespaces=team-a'], '/watchNamespaces'],
  ])('%j fails on the schema, naming %s', async (args, named) => {
    const result = await run('helm', ['template', 'perpetual', chart, ...args]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(named);
  });

  it('two replicas without leader election fail with the reason', async () => {
    const result = await run('helm', ['template', 'perpetual', chart, '--set=leaderElection.enabled=false']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('replicaCount > 1 needs leaderElection.enabled');
    expect((await run('helm', ['template', 'perpetual', chart, '--set=leaderElection.enabled=false', '--set=replicaCount=1'])).code).toBe(
      0,
    );
  });
});
