// What a controller declares to the manager, controller-runtime's For/Owns/Watches: the kind it
// reconciles, the kinds it creates, the other kinds whose changes concern it and how to find the
// objects they concern. The manager (operator/manager.ts) builds the informers and queues from
// these; every event becomes the key of an object on the controller's queue.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Labels } from '../api/v1alpha1/labels.ts';
import type { Caches, KindTypes } from '../kube/caches.ts';
import type { KindName } from '../kube/resource-kinds.ts';
import type { ReconcileContext, ReconcileResult } from './context.ts';
import type { ModelServerAutoscaling } from './model-server/reconciler.ts';

/** The kinds a controller reconciles. */
export type ReconciledKind = 'PerpetualDeployment' | 'ModelServer';

/** What the manager provides besides the reconcile context: the built-in autoscaler's side. */
export interface ManagerServices {
  autoscaling: ModelServerAutoscaling;
}

/** A change to an object of `kind` concerns these objects of the controller's own kind (`namespace/name` keys). */
export interface Watch<K extends KindName = KindName> {
  kind: K;
  map(obj: KindTypes[K], caches: Caches): readonly string[];
}

/**
 * A watch on metadata only: the object handed to `map` has its kind, name, namespace and
 * resourceVersion, nothing else (kube/metadata-informer.ts). For kinds whose values must never be
 * in the operator's memory.
 */
export interface MetadataWatch {
  kind: KindName;
  metadataOnly: true;
  map(obj: KubernetesObject, caches: Caches): readonly string[];
}

export interface ControllerDeclaration {
  /** Names the controller in logs and metrics. */
  name: string;
  /** The kind it reconciles: a change to one queues that object. */
  for: ReconciledKind;
  /** Kinds it creates, labelled with their owner's name (OWNER_LABELS): a change queues that owner. */
  owns: readonly KindName[];
  /** Owned kinds from APIs a cluster may not serve (KEDA's): watched once discovery shows them. */
  ownsOptional: readonly KindName[];
  watches: readonly (Watch | MetadataWatch)[];
  reconcile(ctx: ReconcileContext, namespace: string, name: string, services: ManagerServices): Promise<ReconcileResult>;
}

/** The label that names a child's owner, by the owner's kind (resources/meta.ts sets them). */
export const OWNER_LABELS: Record<ReconciledKind, string> = {
  PerpetualDeployment: Labels.perpetualDeployment,
  ModelServer: Labels.modelServer,
};

/** The work-queue key of an object: `namespace/name`. */
export function objectKey(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** A typed Watch (the element type of `watches` alone would not check `map`'s argument). */
export function watch<K extends KindName>(kind: K, map: (obj: KindTypes[K], caches: Caches) => readonly string[]): Watch {
  return { kind, map };
}

/** A metadata-only Watch (MetadataWatch). */
export function watchMetadata(kind: KindName, map: (obj: KubernetesObject, caches: Caches) => readonly string[]): MetadataWatch {
  return { kind, metadataOnly: true, map };
}
