// What the stack's NetworkPolicies allow, read the way a network plugin reads them: which pods each
// one selects, and which pods and ports its rules let in. (Whether traffic is really dropped depends
// on a plugin that enforces NetworkPolicy, which no test tier here runs.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject, V1Deployment, V1Job, V1LabelSelector, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPERATOR_POD_LABELS } from '../../../api/v1alpha1/labels.ts';
import { defaultedModelServer } from '../../../api/v1alpha1/defaults.ts';
import { goldenModelServerSpecs } from '../../../api/v1alpha1/testdata/golden-specs.ts';
import type { NetworkPolicy, NetworkPolicyPeer } from '../../../resources/network-policy.ts';
import { desiredObjects as modelServerObjects } from '../../model-server/desired.ts';
import { desiredObjects } from '../desired.ts';
import { goldenInput, type GoldenSpec } from './testdata/golden-inputs.ts';

type Labels = Record<string, string>;

function selects(selector: V1LabelSelector, labels: Labels): boolean {
  const pairs = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const expressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    if (e.operator === 'In') return value !== undefined && (e.values ?? []).includes(value);
    if (e.operator === 'NotIn') return value === undefined || !(e.values ?? []).includes(value);
    if (e.operator === 'Exists') return value !== undefined;
    return value === undefined;
  });
  return pairs && expressions;
}

/** A pod somewhere: its namespace and labels. */
interface Pod {
  namespace: string;
  labels: Labels;
}

/** Whether `peer` (in a policy of namespace `policyNamespace`) admits `pod`; namespaces carry only their name label. */
function admits(peer: NetworkPolicyPeer, policyNamespace: string, pod: Pod): boolean {
  if (peer.ipBlock) return false;
  const namespaceOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': pod.namespace })
    : pod.namespace === policyNamespace;
  return namespaceOk && (peer.podSelector ? selects(peer.podSelector, pod.labels) : true);
}

/** The TCP ports `pod` may open on the pods `policy` selects. A rule without peers admits everyone. */
function portsOpenTo(policy: NetworkPolicy, pod: Pod): number[] {
  const namespace = policy.metadata?.namespace ?? '';
  return (policy.spec?.ingress ?? [])
    .filter((rule) => rule.from === undefined || rule.from.some((peer) => admits(peer, namespace, pod)))
    .flatMap((rule) => (rule.ports ?? []).map((p) => p.port))
    .sort((a, b) => a - b);
}

function podLabels(objects: KubernetesObject[], kind: string, name: string): Labels {
  const workload = objects.find((o): o is V1Deployment | V1StatefulSet | V1Job => o.kind === kind && o.metadata?.name === name);
  const labels = workload?.spec?.template.metadata?.labels;
  if (!labels) throw new Error(`${kind}/${name} not desired`);
  return labels;
}

function stack(spec: GoldenSpec) {
  const input = goldenInput(spec);
  const { objects } = desiredObjects({
    ...input,
    config: { images: { gateway: input.image }, namespace: input.operatorNamespace },
    databaseUsable: true,
  });
  const policies = objects.filter((o): o is NetworkPolicy => o.kind === 'NetworkPolicy');
  const policy = (name: string): NetworkPolicy => {
    const found = policies.find((p) => p.metadata?.name === name);
    if (!found) throw new Error(`NetworkPolicy ${name} not desired`);
    return found;
  };
  const job = objects.find((o) => o.kind === 'Job');
  const pods = {
    gateway: { namespace: 'prod', labels: podLabels(objects, 'Deployment', 'app-gateway') },
    migration: { namespace: 'prod', labels: podLabels(objects, 'Job', job?.metadata?.name ?? '') },
    operator: { namespace: input.operatorNamespace, labels: { ...OPERATOR_POD_LABELS } },
    // Another stack's gateway in the same namespace, and a stranger.
    otherGateway: {
      namespace: 'prod',
      labels: {
        ...podLabels(objects, 'Deployment', 'app-gateway'),
        'app.kubernetes.io/instance': 'other',
        'perpetual.ai/perpetualdeployment': 'other',
      },
    },
    stranger: { namespace: 'prod', labels: { app: 'curl' } },
  };
  return { input, objects, policies, policy, pods };
}

describe.each<GoldenSpec>(['proxy', 'local'])("the managed datastores' NetworkPolicies (%s)", (spec) => {
  const { objects, policy, pods } = stack(spec);

  it('select exactly the Redis and Qdrant pods', () => {
    expect(selects(policy('app-redis').spec?.podSelector ?? {}, podLabels(objects, 'Deployment', 'app-redis'))).toBe(true);
    expect(selects(policy('app-qdrant').spec?.podSelector ?? {}, podLabels(objects, 'StatefulSet', 'app-qdrant'))).toBe(true);
    expect(selects(policy('app-redis').spec?.podSelector ?? {}, pods.gateway.labels)).toBe(false);
  });

  it("let in this stack's gateway only: not the migration Job, another stack's gateway, the operator or a stranger", () => {
    expect(portsOpenTo(policy('app-redis'), pods.gateway)).toEqual([6379]);
    expect(portsOpenTo(policy('app-qdrant'), pods.gateway)).toEqual([6333, 6334]);
    for (const outsider of [pods.migration, pods.otherGateway, pods.operator, pods.stranger]) {
      expect(portsOpenTo(policy('app-redis'), outsider)).toEqual([]);
      expect(portsOpenTo(policy('app-qdrant'), outsider)).toEqual([]);
    }
  });

  it('leave egress alone', () => {
    expect(policy('app-redis').spec?.policyTypes).toEqual(['Ingress']);
    expect(policy('app-qdrant').spec?.policyTypes).toEqual(['Ingress']);
  });
});

describe("the managed Qdrant's NetworkPolicy", () => {
  it('lets the peers of a cluster reach each other on p2p, and only then', () => {
    const qdrantPod = (spec: GoldenSpec) => {
      const { objects } = stack(spec);
      return { namespace: 'prod', labels: podLabels(objects, 'StatefulSet', 'app-qdrant') };
    };
    expect(portsOpenTo(stack('local').policy('app-qdrant'), qdrantPod('local'))).toEqual([6335]); // three replicas
    expect(portsOpenTo(stack('proxy').policy('app-qdrant'), qdrantPod('proxy'))).toEqual([]); // one
  });
});

describe("the gateway's NetworkPolicy", () => {
  it('selects the gateway pods and opens only its port, to anyone, when gatewayIngressFrom is empty', () => {
    const { policy, pods } = stack('local');
    const gateway = policy('app-gateway');
    expect(selects(gateway.spec?.podSelector ?? {}, pods.gateway.labels)).toBe(true);
    expect(portsOpenTo(gateway, pods.stranger)).toEqual([8000]);
    expect(gateway.spec?.policyTypes).toEqual(['Ingress']);
  });

  it('with gatewayIngressFrom, lets in those peers, the operator and metricsFrom, and no one else', () => {
    const { policy, pods } = stack('proxy');
    const gateway = policy('app-gateway');
    expect(portsOpenTo(gateway, { namespace: 'ingress-nginx', labels: { app: 'controller' } })).toEqual([8000]);
    expect(portsOpenTo(gateway, { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } })).toEqual([8000]);
    expect(portsOpenTo(gateway, pods.operator)).toEqual([8000]);
    expect(portsOpenTo(gateway, pods.stranger)).toEqual([]);
    expect(portsOpenTo(gateway, { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'grafana' } })).toEqual([]);
    expect(gateway.spec?.ingress?.[0]?.from).toContainEqual({ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } });
  });

  it('restricts egress only when asked: DNS, the namespace and the listed ranges', () => {
    expect(stack('proxy').policy('app-gateway').spec?.egress).toBeUndefined();
    const restricted = stack('external').policy('app-gateway');
    expect(restricted.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(restricted.spec?.egress).toEqual([
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { to: [{ podSelector: {} }] },
      { to: [{ ipBlock: { cidr: '203.0.113.0/24' } }, { ipBlock: { cidr: '2001:db8::/32' } }] },
    ]);
  });
});

describe("the vLLM pods' NetworkPolicy", () => {
  const { policy, pods, input } = stack('local');
  const vllm = policy('app-model-servers');
  const mistral = modelServerObjects(defaultedModelServer({ name: 'mistral', namespace: 'prod' }, goldenModelServerSpecs.mistral));
  const vllmLabels = podLabels(mistral, 'Deployment', 'mistral-vllm');

  it('selects the pods of the ModelServers the stack uses, and not others', () => {
    expect(selects(vllm.spec?.podSelector ?? {}, vllmLabels)).toBe(true);
    expect(
      selects(vllm.spec?.podSelector ?? {}, {
        ...vllmLabels,
        'perpetual.ai/modelserver': 'unused',
        'app.kubernetes.io/instance': 'unused',
      }),
    ).toBe(false);
    expect(input.pd.spec.models.map((m) => m.modelServerRef?.name)).toEqual(['mistral']);
  });

  it('lets in Perpetual gateways of the namespace and the operator on the vLLM port, and no one else', () => {
    expect(portsOpenTo(vllm, pods.gateway)).toEqual([8000]);
    expect(portsOpenTo(vllm, pods.otherGateway)).toEqual([8000]);
    expect(portsOpenTo(vllm, pods.operator)).toEqual([8000]);
    expect(portsOpenTo(vllm, { namespace: 'elsewhere', labels: { ...OPERATOR_POD_LABELS } })).toEqual([]);
    expect(portsOpenTo(vllm, pods.migration)).toEqual([]);
    expect(portsOpenTo(vllm, pods.stranger)).toEqual([]);
  });
});

describe('NetworkPolicies', () => {
  it('are not generated when spec.networkPolicy.enabled is false', () => {
    const input = goldenInput('local');
    const pd = structuredClone(input.pd);
    pd.spec.networkPolicy.enabled = false;
    const { objects } = desiredObjects({
      ...input,
      pd,
      config: { images: { gateway: input.image }, namespace: input.operatorNamespace },
      databaseUsable: true,
    });
    expect(objects.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
    expect(stack('local').policies.map((p) => p.metadata?.name)).toEqual(['app-gateway', 'app-model-servers', 'app-qdrant', 'app-redis']);
  });

  it('know the operator by the labels its pods carry in config/manager', () => {
    const manager = parse(readFileSync(join(import.meta.dirname, '../../../../config/manager/manager.yaml'), 'utf8')) as V1Deployment;
    expect(manager.spec?.template.metadata?.labels).toEqual(OPERATOR_POD_LABELS);
  });
});
