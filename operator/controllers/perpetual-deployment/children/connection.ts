// How the parts of a stack and its clients find each other: the in-cluster URLs of the gateway,
// Qdrant and Redis, the `<pd>-connection` Secret that publishes them, and the credentials the
// operator generates for what it runs itself.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { PerpetualDeployment } from '../../../api/v1alpha1/perpetual-deployment.ts';
import { childMeta, type Owner } from '../../../resources/meta.ts';
import { buildSecret } from '../../../resources/secret.ts';
import { childNames, GeneratedKeys, Ports } from '../names.ts';

/** A Secret the operator creates once with random content and never overwrites. */
export interface GeneratedSecret {
  name: string;
  key: string;
  component: string;
}

function serviceUrl(name: string, namespace: string, port: number, scheme = 'http'): string {
  return `${scheme}://${name}.${namespace}.svc:${String(port)}`;
}

/** The in-cluster URL clients use to reach the gateway. */
export function gatewayUrl(pd: PerpetualDeployment): string {
  const spec = pd.spec;
  return serviceUrl(childNames(pd.metadata?.name ?? '').gateway, pd.metadata?.namespace ?? '', spec.gateway.service.port);
}

export function qdrantUrl(pd: PerpetualDeployment): string {
  const spec = pd.spec;
  if (spec.vectorStore.type === 'external' && spec.vectorStore.external) return spec.vectorStore.external.url;
  return serviceUrl(childNames(pd.metadata?.name ?? '').qdrant, pd.metadata?.namespace ?? '', Ports.qdrantHttp);
}

export function redisUrl(pd: PerpetualDeployment): string {
  const spec = pd.spec;
  if (spec.cache.type === 'external' && spec.cache.external) return spec.cache.external.url;
  return serviceUrl(childNames(pd.metadata?.name ?? '').redis, pd.metadata?.namespace ?? '', Ports.redis, 'redis');
}

export function generatedSecrets(pd: PerpetualDeployment): GeneratedSecret[] {
  const names = childNames(pd.metadata?.name ?? '');
  const secrets: GeneratedSecret[] = [];
  if (pd.spec.vectorStore.type === 'managed')
    secrets.push({ name: names.qdrantApiKey, key: GeneratedKeys.qdrantApiKey, component: 'qdrant' });
  if (pd.spec.cache.type === 'managed') secrets.push({ name: names.redisPassword, key: GeneratedKeys.redisPassword, component: 'redis' });
  if (!pd.spec.auth.adminTokenSecretRef) secrets.push({ name: names.adminToken, key: GeneratedKeys.adminToken, component: 'gateway' });
  return secrets;
}

export function connectionSecret(owner: Owner, pd: PerpetualDeployment): KubernetesObject {
  const redis = new URL(redisUrl(pd));
  return buildSecret(childMeta(owner, childNames(owner.name).connection, 'gateway'), {
    GATEWAY_URL: gatewayUrl(pd),
    OPENAI_BASE_URL: `${gatewayUrl(pd)}/v1`,
    QDRANT_URL: qdrantUrl(pd),
    REDIS_URL: redisUrl(pd),
    REDIS_HOST: redis.hostname,
    REDIS_PORT: redis.port || String(Ports.redis),
  });
}
