// Who is who in a stack's NetworkPolicies: the peers every component's policy names (its gateway,
// any Perpetual gateway, the operator) and the spec's own peers in Kubernetes form.
import { FIELD_MANAGER, Labels, OPERATOR_POD_LABELS } from '../../../api/v1alpha1/labels.ts';
import type { PerpetualDeployment } from '../../../api/v1alpha1/perpetual-deployment.ts';
import { selectorLabels, type Owner } from '../../../resources/meta.ts';
import { podsInNamespacePeer, podsPeer, type NetworkPolicyPeer } from '../../../resources/network-policy.ts';

type SpecPeer = NonNullable<PerpetualDeployment['spec']['networkPolicy']['gatewayIngressFrom']>[number];

export function networkPoliciesEnabled(pd: PerpetualDeployment): boolean {
  return pd.spec.networkPolicy.enabled;
}

/** This stack's gateway pods (its selector labels: they never change). */
export function stackGatewayPeer(owner: Owner): NetworkPolicyPeer {
  return podsPeer(selectorLabels(owner, 'gateway'));
}

/**
 * Every Perpetual gateway of the namespace. vLLM pods accept these rather than one stack's gateway:
 * a ModelServer may serve several stacks, and one stack's policy must not cut off another's
 * gateway (policies add up only where each stack has one).
 */
export function anyGatewayPeer(): NetworkPolicyPeer {
  return podsPeer({ [Labels.name]: 'perpetual', [Labels.component]: 'gateway', [Labels.managedBy]: FIELD_MANAGER });
}

/** The operator's pods, in the namespace it runs in: its autoscaler reads vLLM and gateway metrics from pod IPs. */
export function operatorPeer(operatorNamespace: string): NetworkPolicyPeer {
  return podsInNamespacePeer(operatorNamespace, { ...OPERATOR_POD_LABELS });
}

/** A spec peer as a NetworkPolicyPeer, field by field (the schema's subset, nothing more). */
export function specPeer(peer: SpecPeer): NetworkPolicyPeer {
  return {
    ...(peer.podSelector ? { podSelector: peer.podSelector } : {}),
    ...(peer.namespaceSelector ? { namespaceSelector: peer.namespaceSelector } : {}),
    ...(peer.ipBlock ? { ipBlock: { cidr: peer.ipBlock.cidr, ...(peer.ipBlock.except ? { except: peer.ipBlock.except } : {}) } } : {}),
  };
}

/** spec.networkPolicy.metricsFrom as NetworkPolicyPeers. */
export function metricsPeers(pd: PerpetualDeployment): NetworkPolicyPeer[] {
  return (pd.spec.networkPolicy.metricsFrom ?? []).map(specPeer);
}
