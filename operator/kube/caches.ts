// Read access to every informer cache, by kind, typed per kind. The reconcilers read only from
// here (never an event payload), so they always see the latest state.
import type {
  V1ConfigMap,
  V1Deployment,
  V1Job,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodDisruptionBudget,
  V1Secret,
  V1Service,
  V1StatefulSet,
  V2HorizontalPodAutoscaler,
  V1ServiceAccount,
  V1Role,
  V1RoleBinding,
} from '@kubernetes/client-node';
import type { ModelServer } from '../api/v1alpha1/model-server.ts';
import type { PerpetualDeployment } from '../api/v1alpha1/perpetual-deployment.ts';
import type { NetworkPolicy } from '../resources/network-policy.ts';
import type { ScaledObject } from '../resources/scaled-object.ts';
import type { InferencePool } from '../resources/inference-pool.ts';
import type { KindInformer } from './informer.ts';
import type { KindName } from './resource-kinds.ts';

export interface KindTypes {
  PerpetualDeployment: PerpetualDeployment;
  ModelServer: ModelServer;
  Deployment: V1Deployment;
  StatefulSet: V1StatefulSet;
  Service: V1Service;
  ConfigMap: V1ConfigMap;
  Secret: V1Secret;
  PersistentVolumeClaim: V1PersistentVolumeClaim;
  Pod: V1Pod;
  Job: V1Job;
  PodDisruptionBudget: V1PodDisruptionBudget;
  NetworkPolicy: NetworkPolicy;
  HorizontalPodAutoscaler: V2HorizontalPodAutoscaler;
  ServiceAccount: V1ServiceAccount;
  Role: V1Role;
  RoleBinding: V1RoleBinding;
  ScaledObject: ScaledObject;
  InferencePool: InferencePool;
}

export interface Caches {
  get<K extends KindName>(kind: K, name: string, namespace: string): KindTypes[K] | undefined;
  list<K extends KindName>(kind: K, namespace?: string): readonly KindTypes[K][];
  /** Objects of `kind` whose controller owner reference has `ownerUid`. */
  controlledBy<K extends KindName>(kind: K, ownerUid: string): readonly KindTypes[K][];
}

export function cachesFrom(informers: ReadonlyMap<KindName, KindInformer>): Caches {
  const informer = (kind: KindName): KindInformer => {
    const found = informers.get(kind);
    if (!found) throw new Error(`no informer for ${kind}`);
    return found;
  };
  // Each informer holds objects of its own kind, which is what makes these casts sound.
  return {
    get: <K extends KindName>(kind: K, name: string, namespace: string) => informer(kind).get(name, namespace) as KindTypes[K] | undefined,
    list: <K extends KindName>(kind: K, namespace?: string) => informer(kind).list(namespace) as readonly KindTypes[K][],
    controlledBy: <K extends KindName>(kind: K, ownerUid: string) => informer(kind).listControlledBy(ownerUid) as readonly KindTypes[K][],
  };
}
