// perpetual_operator_condition: one series, value 1, per current condition of every
// PerpetualDeployment and ModelServer, as kube-state-metrics exports a Deployment's conditions. It
// is what lets an alert name the object (which stack is Stalled, which ModelServer lacks GPUs or
// sits at maxReplicas), where perpetual_operator_objects only counts objects by phase.
//
// The series are read from the status the controllers wrote (the cache holds it) and replaced
// whole on every refresh: a deleted object, or a condition whose reason or status changed, leaves
// no stale series behind.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Gauge } from 'prom-client';

/** What is read of an object: its name and its status's conditions (metav1.Condition shape). */
export interface ObjectWithConditions extends KubernetesObject {
  status?: { conditions?: readonly { type: string; status: string; reason: string }[] };
}

export type ConditionLabel = 'kind' | 'namespace' | 'name' | 'type' | 'reason' | 'status';
export type ConditionSeries = Record<ConditionLabel, string>;

/** The series for `objects` of `kind`: one per condition in their status, none for an object without status yet. */
export function conditionSeries(kind: string, objects: readonly ObjectWithConditions[]): ConditionSeries[] {
  return objects.flatMap((obj) =>
    (obj.status?.conditions ?? []).map((c) => ({
      kind,
      namespace: obj.metadata?.namespace ?? '',
      name: obj.metadata?.name ?? '',
      type: c.type,
      reason: c.reason,
      status: c.status,
    })),
  );
}

/** Replaces every series of `gauge` with `series`, each set to 1. Synchronous, so no scrape sees it half done. */
export function setConditionSeries(gauge: Gauge<ConditionLabel>, series: readonly ConditionSeries[]): void {
  gauge.reset();
  for (const labels of series) gauge.set(labels, 1);
}
