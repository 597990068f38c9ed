// The managed cache: one Redis, without persistence, behind a Service that only the stack's gateway may reach.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { PerpetualDeployment } from '../../../api/v1alpha1/perpetual-deployment.ts';
import { REDIS_DEFAULT_REQUESTS } from '../../../api/v1alpha1/resource-defaults.ts';
import { buildDeployment } from '../../../resources/deployment.ts';
import { childMeta, selectorLabels, type Owner } from '../../../resources/meta.ts';
import { containerResources, envFromSecret, restrictedContainerSecurity, restrictedPodSecurity } from '../../../resources/pod.ts';
import { buildNetworkPolicy, ingressRule, tcpPorts, type NetworkPolicy } from '../../../resources/network-policy.ts';
import { buildService } from '../../../resources/service.ts';
import { childNames, GeneratedKeys, Ports } from '../names.ts';
import { networkPoliciesEnabled, stackGatewayPeer } from './network-peers.ts';

/** Rate-limit counters: only the stack's gateway connects to Redis. */
export function redisNetworkPolicy(owner: Owner): NetworkPolicy {
  return buildNetworkPolicy(childMeta(owner, childNames(owner.name).redis, 'redis'), {
    podSelector: { matchLabels: selectorLabels(owner, 'redis') },
    ingress: [ingressRule(tcpPorts(Ports.redis), [stackGatewayPeer(owner)])],
  });
}

export function redisObjects(owner: Owner, pd: PerpetualDeployment): KubernetesObject[] {
  const managed = pd.spec.cache.managed;
  const names = childNames(owner.name);
  const selector = selectorLabels(owner, 'redis');
  const objects: KubernetesObject[] = [
    buildService(childMeta(owner, names.redis, 'redis'), { selector, ports: [{ name: 'redis', port: Ports.redis, targetPort: 'redis' }] }),
    buildDeployment(childMeta(owner, names.redis, 'redis'), {
      selector,
      replicas: 1,
      // Never two Redis at once: counters would split between them during a rollout.
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels: childMeta(owner, '', 'redis').labels },
        spec: {
          securityContext: { ...restrictedPodSecurity, runAsUser: 999 },
          containers: [
            {
              name: 'redis',
              image: managed.image,
              // Rate-limit counters are cheap to lose and must be fast: no persistence.
              command: ['sh', '-c', 'exec redis-server --requirepass "$REDIS_PASSWORD" --save "" --appendonly no'],
              ports: [{ name: 'redis', containerPort: Ports.redis }],
              env: [envFromSecret('REDIS_PASSWORD', { name: names.redisPassword, key: GeneratedKeys.redisPassword })],
              resources: containerResources(managed.resources ?? { requests: REDIS_DEFAULT_REQUESTS }),
              readinessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 5 },
              livenessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 10, failureThreshold: 6 },
              securityContext: restrictedContainerSecurity,
            },
          ],
        },
      },
    }),
  ];
  if (networkPoliciesEnabled(pd)) objects.push(redisNetworkPolicy(owner));
  return objects;
}
