// What the cluster says about a PerpetualDeployment: its children (from the informer caches),
// its referenced Secrets (read by the reconciler) and the ModelServers its models name.
import type { V1Deployment, V1Job, V1StatefulSet } from '@kubernetes/client-node';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
import type { Caches } from '../../kube/caches.ts';
import { childNames } from './names.ts';

/** Why a referenced Secret cannot be used. */
export interface SecretProblem {
  /** What the Secret is for, e.g. "database". */
  purpose: string;
  name: string;
  key: string;
  reason: 'SecretNotFound' | 'SecretKeyNotFound';
}

export interface PerpetualDeploymentObserved {
  secretProblems: SecretProblem[];
  gateway: V1Deployment | undefined;
  qdrant: V1StatefulSet | undefined;
  redis: V1Deployment | undefined;
  migration: V1Job | undefined;
  /** Every ModelServer the spec refers to (models and embeddings); undefined when it does not exist. */
  modelServers: ReadonlyMap<string, ModelServer | undefined>;
}

/** The ModelServers a PerpetualDeployment depends on: its models' and the memory embeddings' source. */
export function referencedModelServers(pd: PerpetualDeployment): string[] {
  const embedding = pd.spec.memory.embedding;
  const names = pd.spec.models.flatMap((m) => (m.modelServerRef ? [m.modelServerRef.name] : []));
  if (embedding.source === 'modelServer' && embedding.modelServerRef) names.push(embedding.modelServerRef.name);
  return [...new Set(names)];
}

/** models[].name of the models `pd` routes to the ModelServer `msName` (the gateway's `model` label for them). */
export function modelNamesRoutingTo(pd: PerpetualDeployment, msName: string): string[] {
  return pd.spec.models.filter((m) => m.modelServerRef?.name === msName).map((m) => m.name);
}

export function observePerpetualDeployment(
  caches: Caches,
  pd: PerpetualDeployment,
  migrationJobName: string,
  secretProblems: SecretProblem[],
): PerpetualDeploymentObserved {
  const namespace = pd.metadata?.namespace ?? '';
  const names = childNames(pd.metadata?.name ?? '');
  return {
    secretProblems,
    gateway: caches.get('Deployment', names.gateway, namespace),
    qdrant: caches.get('StatefulSet', names.qdrant, namespace),
    redis: caches.get('Deployment', names.redis, namespace),
    migration: caches.get('Job', migrationJobName, namespace),
    modelServers: new Map(referencedModelServers(pd).map((name) => [name, caches.get('ModelServer', name, namespace)])),
  };
}
