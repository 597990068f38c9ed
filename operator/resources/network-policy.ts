// NetworkPolicies (networking.k8s.io/v1). Policies are additive: a pod that any policy selects for
// a direction accepts only what some policy allows it, so each component gets one policy listing
// everyone who may reach it. policyTypes and every port's protocol are written out, as the API
// server would default them, so the stored object equals the applied one.
import type { KubernetesObject, V1LabelSelector, V1ObjectMeta } from '@kubernetes/client-node';

// The wire form, not client-node's models (which spell `from` as `_from`): see kube/wire-format.ts.
export interface NetworkPolicyPeer {
  podSelector?: V1LabelSelector;
  namespaceSelector?: V1LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
export interface NetworkPolicyPort {
  protocol: 'TCP' | 'UDP';
  port: number;
}
export interface NetworkPolicyIngressRule {
  from?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}
export interface NetworkPolicyEgressRule {
  to?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}
export interface NetworkPolicy extends KubernetesObject {
  spec?: {
    podSelector: V1LabelSelector;
    policyTypes: ('Ingress' | 'Egress')[];
    ingress?: NetworkPolicyIngressRule[];
    egress?: NetworkPolicyEgressRule[];
  };
}

export interface NetworkPolicyParams {
  /** The pods the policy protects. */
  podSelector: V1LabelSelector;
  /** Who may connect to them; an empty list allows no one. */
  ingress: NetworkPolicyIngressRule[];
  /** Where they may connect to; absent leaves egress open (the policy does not isolate it). */
  egress?: NetworkPolicyEgressRule[];
}

export function buildNetworkPolicy(meta: V1ObjectMeta, params: NetworkPolicyParams): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta,
    spec: {
      podSelector: params.podSelector,
      policyTypes: params.egress ? ['Ingress', 'Egress'] : ['Ingress'],
      ingress: params.ingress,
      ...(params.egress ? { egress: params.egress } : {}),
    },
  };
}

/** TCP ports, by number: a policy's named ports resolve per pod, numbers say plainly what is open. */
export function tcpPorts(...ports: number[]): NetworkPolicyPort[] {
  return ports.map((port) => ({ protocol: 'TCP', port }));
}

/** Pods with these labels in the policy's own namespace. */
export function podsPeer(matchLabels: Record<string, string>): NetworkPolicyPeer {
  return { podSelector: { matchLabels } };
}

/** Pods with these labels in the namespace named `namespace` (its kubernetes.io/metadata.name label, which the API server sets). */
export function podsInNamespacePeer(namespace: string, matchLabels: Record<string, string>): NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } }, podSelector: { matchLabels } };
}

/** Connections on `ports` from `from`; an empty `from` means from anywhere (a NetworkPolicy rule without peers). */
export function ingressRule(ports: NetworkPolicyPort[], from: NetworkPolicyPeer[]): NetworkPolicyIngressRule {
  return from.length === 0 ? { ports } : { from, ports };
}

/** DNS to any address: the cluster's resolver lives in another namespace, and may be a node-local cache. */
export const DNS_EGRESS: NetworkPolicyEgressRule = {
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
};
