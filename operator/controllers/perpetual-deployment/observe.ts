// What the cluster says about a PerpetualDeployment: its children (from the informer caches),
// its referenced Secrets (read by the reconciler) and the ModelServers its models name.
import type { V1Deployment, V1Job, V1StatefulSet } from '@kubernetes/client-node';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
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
  /** Every ModelServer a model refers to; undefined when it does not exist. */
  modelServers: ReadonlyMap<string, ModelServer | undefined>;
}

export interface ChildCaches {
  deployment(name: string, namespace: string): V1Deployment | undefined;
  statefulSet(name: string, namespace: string): V1StatefulSet | undefined;
  job(name: string, namespace: string): V1Job | undefined;
  modelServer(name: string, namespace: string): ModelServer | undefined;
}

export function observePerpetualDeployment(
  caches: ChildCaches,
  pd: PerpetualDeployment,
  migrationJobName: string,
  secretProblems: SecretProblem[],
): PerpetualDeploymentObserved {
  const namespace = pd.metadata?.namespace ?? '';
  const names = childNames(pd.metadata?.name ?? '');
  const refs = pd.spec.models.flatMap((m) => (m.modelServerRef ? [m.modelServerRef.name] : []));
  return {
    secretProblems,
    gateway: caches.deployment(names.gateway, namespace),
    qdrant: caches.statefulSet(names.qdrant, namespace),
    redis: caches.deployment(names.redis, namespace),
    migration: caches.job(migrationJobName, namespace),
    modelServers: new Map(refs.map((name) => [name, caches.modelServer(name, namespace)])),
  };
}
