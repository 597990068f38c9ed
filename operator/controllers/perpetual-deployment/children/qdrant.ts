// The managed vector store: Qdrant as a StatefulSet with a volume per replica, a Service for
// clients and a headless Service for the peers (and their stable DNS names) in cluster mode; in
// cluster mode a PodDisruptionBudget, and a NetworkPolicy that lets only the gateway (and the peers) in.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { PerpetualDeployment } from '../../../api/v1alpha1/perpetual-deployment.ts';
import { QDRANT_DEFAULT_REQUESTS } from '../../../api/v1alpha1/resource-defaults.ts';
import { childMeta, selectorLabels, type Owner } from '../../../resources/meta.ts';
import { buildNetworkPolicy, ingressRule, podsPeer, tcpPorts, type NetworkPolicy } from '../../../resources/network-policy.ts';
import { buildPodDisruptionBudget } from '../../../resources/pod-disruption-budget.ts';
import { buildPersistentVolumeClaim } from '../../../resources/persistent-volume-claim.ts';
import {
  containerResources,
  envFromSecret,
  envValue,
  httpProbe,
  restrictedContainerSecurity,
  restrictedPodSecurity,
} from '../../../resources/pod.ts';
import { buildService } from '../../../resources/service.ts';
import { buildStatefulSet } from '../../../resources/stateful-set.ts';
import { childNames, GeneratedKeys, Ports } from '../names.ts';
import { networkPoliciesEnabled, stackGatewayPeer } from './network-peers.ts';

function qdrantPodCommand(names: ReturnType<typeof childNames>, namespace: string, replicas: number): string[] {
  if (replicas === 1) return [];
  // Cluster mode: pod 0 starts the cluster, the others bootstrap from it (as Qdrant's own chart does).
  const peer = (host: string) => `http://${host}.${names.qdrantHeadless}.${namespace}.svc:${String(Ports.qdrantP2p)}`;
  return [
    '/bin/sh',
    '-c',
    `if [ "\${HOSTNAME##*-}" = 0 ]; then exec ./entrypoint.sh --uri ${peer('${HOSTNAME}')}; ` +
      `else exec ./entrypoint.sh --bootstrap ${peer(`${names.qdrant}-0`)} --uri ${peer('${HOSTNAME}')}; fi`,
  ];
}

/** Only the stack's gateway reaches Qdrant's API (REST and gRPC); in cluster mode the peers reach each other on p2p. */
export function qdrantNetworkPolicy(owner: Owner, replicas: number): NetworkPolicy {
  return buildNetworkPolicy(childMeta(owner, childNames(owner.name).qdrant, 'qdrant'), {
    podSelector: { matchLabels: selectorLabels(owner, 'qdrant') },
    ingress: [
      ingressRule(tcpPorts(Ports.qdrantHttp, Ports.qdrantGrpc), [stackGatewayPeer(owner)]),
      ...(replicas > 1 ? [ingressRule(tcpPorts(Ports.qdrantP2p), [podsPeer(selectorLabels(owner, 'qdrant'))])] : []),
    ],
  });
}

export function qdrantObjects(owner: Owner, pd: PerpetualDeployment): KubernetesObject[] {
  const managed = pd.spec.vectorStore.managed;
  const names = childNames(owner.name);
  const selector = selectorLabels(owner, 'qdrant');
  const command = qdrantPodCommand(names, owner.namespace, managed.replicas);
  const ports = [
    { name: 'http', port: Ports.qdrantHttp, targetPort: 'http' },
    { name: 'grpc', port: Ports.qdrantGrpc, targetPort: 'grpc' },
  ];
  const objects: KubernetesObject[] = [
    buildService(childMeta(owner, names.qdrant, 'qdrant'), { selector, ports }),
    buildService(childMeta(owner, names.qdrantHeadless, 'qdrant'), {
      selector,
      headless: true,
      ports: [...ports, { name: 'p2p', port: Ports.qdrantP2p, targetPort: 'p2p' }],
    }),
    buildStatefulSet(childMeta(owner, names.qdrant, 'qdrant'), {
      selector,
      serviceName: names.qdrantHeadless,
      replicas: managed.replicas,
      template: {
        metadata: { labels: childMeta(owner, '', 'qdrant').labels },
        spec: {
          securityContext: { ...restrictedPodSecurity, runAsUser: 1000, fsGroup: 1000 },
          containers: [
            {
              name: 'qdrant',
              image: managed.image,
              ...(command.length > 0 ? { command } : {}),
              ports: [
                { name: 'http', containerPort: Ports.qdrantHttp },
                { name: 'grpc', containerPort: Ports.qdrantGrpc },
                { name: 'p2p', containerPort: Ports.qdrantP2p },
              ],
              env: [
                envFromSecret('QDRANT__SERVICE__API_KEY', { name: names.qdrantApiKey, key: GeneratedKeys.qdrantApiKey }),
                ...(managed.replicas > 1 ? [envValue('QDRANT__CLUSTER__ENABLED', 'true')] : []),
              ],
              resources: containerResources(managed.resources ?? { requests: QDRANT_DEFAULT_REQUESTS }),
              readinessProbe: httpProbe('/readyz', 'http', { periodSeconds: 5 }),
              livenessProbe: httpProbe('/livez', 'http', { periodSeconds: 10, failureThreshold: 6 }),
              securityContext: restrictedContainerSecurity,
              volumeMounts: [{ name: 'storage', mountPath: '/qdrant/storage' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        buildPersistentVolumeClaim(
          { name: 'storage' },
          {
            size: String(managed.storage.size),
            accessMode: 'ReadWriteOnce',
            ...(managed.storage.storageClassName ? { storageClassName: managed.storage.storageClassName } : {}),
          },
        ),
      ],
      // The claims hold every user's memories: kept unless the spec says otherwise, never on scale-down.
      claimRetention: { whenDeleted: managed.retainOnDelete ? 'Retain' : 'Delete', whenScaled: 'Retain' },
    }),
  ];
  // One replica cannot keep serving through a drain whatever a budget says; several keep a quorum if only one goes at a time.
  if (managed.replicas > 1) objects.push(buildPodDisruptionBudget(childMeta(owner, names.qdrant, 'qdrant'), selector));
  if (networkPoliciesEnabled(pd)) objects.push(qdrantNetworkPolicy(owner, managed.replicas));
  return objects;
}
