// The stack's side of the ModelServers it uses: a NetworkPolicy on their vLLM pods, so a model is
// reached through a gateway (which authenticates, rate-limits and bills) and not around it.
import { Labels } from '../../../api/v1alpha1/labels.ts';
import type { PerpetualDeployment } from '../../../api/v1alpha1/perpetual-deployment.ts';
import { childMeta, type Owner } from '../../../resources/meta.ts';
import { buildNetworkPolicy, ingressRule, tcpPorts, type NetworkPolicy } from '../../../resources/network-policy.ts';
import { VLLM_PORT } from '../../model-server/names.ts';
import { referencedModelServers } from '../observe.ts';
import { childNames } from '../names.ts';
import { anyGatewayPeer, metricsPeers, networkPoliciesEnabled, operatorPeer } from './network-peers.ts';

/**
 * Only Perpetual gateways, the operator (its autoscaler reads /metrics from pod IPs) and
 * metricsFrom reach the vLLM pods of the ModelServers the stack routes to or embeds with. Absent
 * when the stack uses none.
 */
export function modelServersNetworkPolicy(owner: Owner, pd: PerpetualDeployment, operatorNamespace: string): NetworkPolicy[] {
  const servers = [...referencedModelServers(pd)].sort();
  if (!networkPoliciesEnabled(pd) || servers.length === 0) return [];
  return [
    buildNetworkPolicy(childMeta(owner, childNames(owner.name).modelServersPolicy, 'vllm'), {
      podSelector: {
        matchLabels: { [Labels.component]: 'vllm' },
        matchExpressions: [{ key: Labels.modelServer, operator: 'In', values: servers }],
      },
      ingress: [ingressRule(tcpPorts(VLLM_PORT), [anyGatewayPeer(), operatorPeer(operatorNamespace), ...metricsPeers(pd)])],
    }),
  ];
}
