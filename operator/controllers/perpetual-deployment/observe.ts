// What the cluster says about a PerpetualDeployment: its children (from the informer caches),
// its referenced Secrets (read by the reconciler) and the ModelServers its models name.
import type { V1Deployment, V1Job, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { SecretPurpose, StalledReason, StalledReasons } from '../../api/v1alpha1/conditions.ts';
import { Labels } from '../../api/v1alpha1/labels.ts';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
import type { Caches } from '../../kube/caches.ts';
import { childNames } from './names.ts';

/** Why a referenced Secret cannot be used. */
export interface SecretProblem {
  /** What the Secret is for, e.g. "database". */
  purpose: SecretPurpose;
  name: string;
  key: string;
  reason: typeof StalledReasons.SecretNotFound | typeof StalledReasons.SecretKeyNotFound;
}

/**
 * Why a component cannot be built or used until a human acts: a spec value that does not parse,
 * a generated Secret's name taken by someone else's Secret. Nothing is applied while there is one.
 */
export interface Blocker {
  /** What it blocks, e.g. "cache" (the condition that says so), as SecretProblem's purpose. */
  purpose: SecretPurpose;
  reason: StalledReason;
  /** One sentence naming the field or object and how to fix it; never a secret. */
  message: string;
}

export interface PerpetualDeploymentObserved {
  secretProblems: SecretProblem[];
  blockers: Blocker[];
  gateway: V1Deployment | undefined;
  qdrant: V1StatefulSet | undefined;
  redis: V1Deployment | undefined;
  migration: V1Job | undefined;
  /** The pods of those workloads, so that status can name one the kubelet cannot start. */
  pods: ComponentPods;
  /** Every ModelServer the spec refers to (models and embeddings); undefined when it does not exist. */
  modelServers: ReadonlyMap<string, ModelServer | undefined>;
}

/** A PerpetualDeployment's pods by component (the app.kubernetes.io/component its builders set). */
export interface ComponentPods {
  gateway: readonly V1Pod[];
  qdrant: readonly V1Pod[];
  redis: readonly V1Pod[];
  /** Only the current migration Job's: an earlier Job's pods are not this version's problem. */
  migration: readonly V1Pod[];
}

function componentPods(caches: Caches, pd: PerpetualDeployment, migration: V1Job | undefined): ComponentPods {
  const name = pd.metadata?.name ?? '';
  const own = caches.list('Pod', pd.metadata?.namespace ?? '').filter((p) => p.metadata?.labels?.[Labels.perpetualDeployment] === name);
  const of = (component: string): V1Pod[] => own.filter((p) => p.metadata?.labels?.[Labels.component] === component);
  const job = migration?.metadata?.uid;
  return { gateway: of('gateway'), qdrant: of('qdrant'), redis: of('redis'), migration: job ? caches.controlledBy('Pod', job) : [] };
}

/** The ModelServers a PerpetualDeployment depends on: its models' and the memory embeddings' source. */
export function referencedModelServers(pd: PerpetualDeployment): string[] {
  const embedding = pd.spec.memory.embedding;
  const names = pd.spec.models.flatMap((m) => (m.modelServerRef ? [m.modelServerRef.name] : []));
  if (embedding.source === 'modelServer' && embedding.modelServerRef) names.push(embedding.modelServerRef.name);
  return [...new Set(names)];
}

export function observePerpetualDeployment(
  caches: Caches,
  pd: PerpetualDeployment,
  migrationJobName: string,
  problems: Pick<PerpetualDeploymentObserved, 'secretProblems' | 'blockers'>,
): PerpetualDeploymentObserved {
  const namespace = pd.metadata?.namespace ?? '';
  const names = childNames(pd.metadata?.name ?? '');
  const migration = caches.get('Job', migrationJobName, namespace);
  return {
    ...problems,
    gateway: caches.get('Deployment', names.gateway, namespace),
    qdrant: caches.get('StatefulSet', names.qdrant, namespace),
    redis: caches.get('Deployment', names.redis, namespace),
    migration,
    pods: componentPods(caches, pd, migration),
    modelServers: new Map(referencedModelServers(pd).map((name) => [name, caches.get('ModelServer', name, namespace)])),
  };
}
