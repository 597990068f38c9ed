// The operator's NetworkPolicies as the API server stores them: every rule with its peers intact
// (client-node's model would have dropped `from`, leaving a rule that lets everyone in), removed
// when the switch is turned off. And the Qdrant StatefulSet's claim retention as the spec says.
// Enforcement needs a network plugin that implements NetworkPolicy, which no tier here runs: what
// is checked is what the plugin would be given.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1StatefulSet } from '@kubernetes/client-node';
import { eventually } from '../support/eventually.ts';
import { modelServer, perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
let ns = '';
let operator: OperatorProcess;

interface Policy {
  metadata: { name: string };
  spec: { podSelector: unknown; policyTypes: string[]; ingress?: { from?: unknown[]; ports: unknown[] }[]; egress?: unknown[] };
}

async function policies(): Promise<Map<string, Policy>> {
  const list = JSON.parse(await cluster.kubectlOk(['get', 'networkpolicies', '-n', ns, '-o', 'json'])) as { items: Policy[] };
  return new Map(list.items.map((p) => [p.metadata.name, p]));
}

async function statefulSet(name: string): Promise<V1StatefulSet> {
  return JSON.parse(await cluster.kubectlOk(['get', 'statefulset', name, '-n', ns, '-o', 'json'])) as V1StatefulSet;
}

const gatewayPods = {
  'app.kubernetes.io/instance': 'fenced',
  'app.kubernetes.io/component': 'gateway',
  'perpetual.ai/perpetualdeployment': 'fenced',
};

beforeAll(async () => {
  ns = await cluster.createNamespace('netpol');
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], secretsManifest());
  operator = await startOperator({ kubeconfigPath: cluster.kubeconfigPath });
});

afterAll(async () => {
  await cluster.kubectl(['delete', 'pd,ms', '--all', '-n', ns]);
  await operator.stop();
});

describe('NetworkPolicies of a stack', () => {
  it('are stored with every peer and port, by default', async () => {
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], modelServer('llm'));
    await cluster.kubectlOk(
      ['apply', '-n', ns, '-f', '-'],
      perpetualDeployment('fenced', {
        mode: 'local',
        models: [{ name: 'llm', modelServerRef: { name: 'llm' } }],
        networkPolicy: {
          gatewayIngressFrom: [{ ipBlock: { cidr: '10.0.0.0/8' } }],
          gatewayEgress: { policy: 'Restricted', allowedCIDRs: ['203.0.113.0/24'] },
        },
      }),
    );
    const stored = await eventually(async () => {
      const found = await policies();
      expect([...found.keys()].sort()).toEqual(['fenced-gateway', 'fenced-model-servers', 'fenced-qdrant', 'fenced-redis']);
      return found;
    });
    expect(stored.get('fenced-redis')?.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: gatewayPods } }], ports: [{ protocol: 'TCP', port: 6379 }] },
    ]);
    expect(stored.get('fenced-qdrant')?.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: gatewayPods } }],
        ports: [
          { protocol: 'TCP', port: 6333 },
          { protocol: 'TCP', port: 6334 },
        ],
      },
    ]);
    expect(stored.get('fenced-model-servers')?.spec.ingress?.[0]?.from).toHaveLength(2);
    const gateway = stored.get('fenced-gateway');
    expect(gateway?.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(gateway?.spec.ingress?.[0]?.from?.[0]).toEqual({ ipBlock: { cidr: '10.0.0.0/8' } });
    expect(gateway?.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }] });
  });

  it('are deleted when spec.networkPolicy.enabled turns false', async () => {
    await cluster.kubectlOk(['patch', 'pd', 'fenced', '-n', ns, '--type', 'merge', '-p', '{"spec":{"networkPolicy":{"enabled":false}}}']);
    await eventually(async () => {
      expect([...(await policies()).keys()]).toEqual([]);
    });
  });
});

describe('the Qdrant volume claims', () => {
  it('are kept when the PerpetualDeployment is deleted, unless retainOnDelete is false', async () => {
    await eventually(async () => {
      expect((await statefulSet('fenced-qdrant')).spec?.persistentVolumeClaimRetentionPolicy).toEqual({
        whenDeleted: 'Retain',
        whenScaled: 'Retain',
      });
    });
    await cluster.kubectlOk([
      'patch',
      'pd',
      'fenced',
      '-n',
      ns,
      '--type',
      'merge',
      '-p',
      '{"spec":{"vectorStore":{"managed":{"retainOnDelete":false}}}}',
    ]);
    await eventually(async () => {
      expect((await statefulSet('fenced-qdrant')).spec?.persistentVolumeClaimRetentionPolicy).toEqual({
        whenDeleted: 'Delete',
        whenScaled: 'Retain',
      });
    });
  });
});
