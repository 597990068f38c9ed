// The desired children of a PerpetualDeployment: a pure function of the resource, the operator
// config and what was read for it. No clock, no randomness, sorted output. Each component is
// built in children/; this file says which components a spec has.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
import type { OperatorConfig } from '../../config.ts';
import { ownerOf } from '../../resources/meta.ts';
import { connectionSecret, generatedSecrets, type GeneratedSecret } from './children/connection.ts';
import { gatewayImage, gatewayObjects } from './children/gateway.ts';
import { migrationJob } from './children/migration.ts';
import { modelServersNetworkPolicy } from './children/model-servers.ts';
import { qdrantObjects } from './children/qdrant.ts';
import { gatewayIdentity } from './children/rbac.ts';
import { redisObjects } from './children/redis.ts';

// What the other steps of a reconcile (reconciler, secrets, status) need from the builders.
export { generatedSecrets, gatewayUrl, type GeneratedSecret } from './children/connection.ts';
export { gatewayImage } from './children/gateway.ts';
export { migrationJobName } from './children/migration.ts';

export interface DesiredInput {
  pd: PerpetualDeployment;
  config: Pick<OperatorConfig, 'images' | 'namespace'>;
  /** ModelServers in the namespace, by name (for local-mode endpoints). */
  modelServers: ReadonlyMap<string, ModelServer>;
  /** Hash of the referenced Secrets' contents: a change rolls the gateway pods. */
  referencedSecretsHash: string;
  /** Hash of the database credentials: a change runs the migration again. */
  databaseSecretHash: string;
  /** False while the database Secret is unusable: a migration then would only fail and hide the cause. */
  databaseUsable: boolean;
}

export interface Desired {
  objects: KubernetesObject[];
  generatedSecrets: GeneratedSecret[];
}

function sortObjects(objects: KubernetesObject[]): KubernetesObject[] {
  const key = (o: KubernetesObject): string => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`;
  return [...objects].sort((a, b) => key(a).localeCompare(key(b)));
}

export function desiredObjects(input: DesiredInput): Desired {
  const { pd } = input;
  const owner = ownerOf({ ...pd, kind: 'PerpetualDeployment' });
  const image = gatewayImage(pd, input.config);
  const objects = [
    ...gatewayObjects(owner, {
      pd,
      image,
      modelServers: input.modelServers,
      referencedSecretsHash: input.referencedSecretsHash,
      operatorNamespace: input.config.namespace,
    }),
    // Only local mode talks to the Kubernetes API (to scale a ModelServer from zero).
    ...(pd.spec.mode === 'local' ? gatewayIdentity(owner) : []),
    ...(pd.spec.vectorStore.type === 'managed' ? qdrantObjects(owner, pd) : []),
    ...(pd.spec.cache.type === 'managed' ? redisObjects(owner, pd) : []),
    ...(input.databaseUsable ? [migrationJob(owner, pd, image, input.databaseSecretHash)] : []),
    connectionSecret(owner, pd),
    ...modelServersNetworkPolicy(owner, pd, input.config.namespace),
  ];
  return { objects: sortObjects(objects), generatedSecrets: generatedSecrets(pd) };
}
