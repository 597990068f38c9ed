// The managed vector store: Qdrant as a StatefulSet with a volume per replica, a Service for
// clients and a headless Service for the peers (and their stable DNS names) in cluster mode.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { PerpetualDeployment } from '../../../api/v1alpha1/perpetual-deployment.ts';
import { childMeta, selectorLabels, type Owner } from '../../../resources/meta.ts';
import { buildPersistentVolumeClaim } from '../../../resources/persistent-volume-claim.ts';
import { containerResources, envFromSecret, envValue, httpProbe, restrictedContainerSecurity, restrictedPodSecurity } from '../../../resources/pod.ts';
import { buildService } from '../../../resources/service.ts';
import { buildStatefulSet } from '../../../resources/stateful-set.ts';
import { childNames, GeneratedKeys, Ports } from '../names.ts';

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

export function qdrantObjects(owner: Owner, pd: PerpetualDeployment): KubernetesObject[] {
  const managed = pd.spec.vectorStore.managed;
  const names = childNames(owner.name);
  const selector = selectorLabels(owner, 'qdrant');
  const command = qdrantPodCommand(names, owner.namespace, managed.replicas);
  const ports = [
    { name: 'http', port: Ports.qdrantHttp, targetPort: 'http' },
    { name: 'grpc', port: Ports.qdrantGrpc, targetPort: 'grpc' },
  ];
  return [
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
              ...(managed.resources ? { resources: containerResources(managed.resources) } : {}),
              readinessProbe: httpProbe('/readyz', 'http', { periodSeconds: 5 }),
              livenessProbe: httpProbe('/livez', 'http', { periodSeconds: 10, failureThreshold: 6 }),
              securityContext: restrictedContainerSecurity,
              volumeMounts: [{ name: 'storage', mountPath: '/qdrant/storage' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        buildPersistentVolumeClaim({ name: 'storage' }, { size: String(managed.storage.size), accessMode: 'ReadWriteOnce', ...(managed.storage.storageClassName ? { storageClassName: managed.storage.storageClassName } : {}) }),
      ],
    }),
  ];
}
