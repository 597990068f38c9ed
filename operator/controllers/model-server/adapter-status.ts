// status.adapters and the AdaptersReady condition, computed purely from spec.adapters and what the
// last adapter sync found on the ready replicas (operator/adapters/syncer.ts).
import { AdapterReasons, ModelServerConditions as C } from '../../api/v1alpha1/conditions.ts';
import type { AdapterStatus, LoraAdapter } from '../../api/v1alpha1/adapters.ts';
import type { ModelServer, ModelServerStatus } from '../../api/v1alpha1/model-server.ts';
import type { AdapterReport } from '../../adapters/plan.ts';
import { plural } from '../../utils.ts';
import { clipSentence, condition, withTransitionTimes, type ConditionInput } from '../conditions.ts';

/** One adapter's state: Failed when any replica refused it (its message), Loaded when every ready replica has it. */
export function adapterStatus(adapter: LoraAdapter, report: AdapterReport | undefined): AdapterStatus {
  const replicas = report?.replicas ?? [];
  const reached = replicas.flatMap((r) => (r.reached ? [r] : []));
  const loadedReplicas = reached.filter((r) => r.loaded.includes(adapter.name)).length;
  const base = { name: adapter.name, loadedReplicas };
  const failure = reached.map((r) => r.failed[adapter.name]).find((m) => m !== undefined);
  if (failure !== undefined) return { ...base, state: 'Failed', message: clipSentence(failure) };
  if (!report) return { ...base, state: 'Loading', message: 'The replicas have not been asked yet.' };
  if (replicas.length === 0) return { ...base, state: 'Loading', message: 'No ready replica: it is loaded when one starts.' };
  if (loadedReplicas === replicas.length) return { ...base, state: 'Loaded' };
  const unreachable = replicas.length - reached.length;
  return {
    ...base,
    state: 'Loading',
    message: `Loaded on ${String(loadedReplicas)} of ${plural(replicas.length, 'ready replica')}${unreachable > 0 ? `; ${String(unreachable)} did not answer` : ''}.`,
  };
}

export function adaptersCondition(statuses: readonly AdapterStatus[]): ConditionInput {
  const failed = statuses.filter((s) => s.state === 'Failed');
  const first = failed[0];
  if (first) {
    const others = failed.length > 1 ? ` (and ${plural(failed.length - 1, 'other adapter')})` : '';
    return condition(
      C.AdaptersReady,
      false,
      AdapterReasons.AdapterLoadFailed,
      clipSentence(`Adapter ${first.name} failed to load${others}: ${first.message ?? ''}`),
    );
  }
  const loading = statuses.filter((s) => s.state !== 'Loaded');
  if (loading.length > 0) {
    return condition(
      C.AdaptersReady,
      false,
      AdapterReasons.AdaptersLoading,
      clipSentence(`Loading ${loading.map((s) => s.name).join(', ')}: ${loading[0]?.message ?? ''}`),
    );
  }
  return condition(
    C.AdaptersReady,
    true,
    AdapterReasons.AdaptersLoaded,
    `${plural(statuses.length, 'adapter')} loaded on every ready replica.`,
  );
}

/**
 * `status` with status.adapters and AdaptersReady when the spec has adapters, and without them
 * otherwise. The adapters do not change Ready or the phase: the model itself still serves.
 */
export function withAdapterStatus(
  status: ModelServerStatus,
  ms: ModelServer,
  report: AdapterReport | undefined,
  now: Date,
): ModelServerStatus {
  const adapters = ms.spec.adapters ?? [];
  const rest = { ...status };
  delete rest.adapters;
  const others = (status.conditions ?? []).filter((c) => c.type !== C.AdaptersReady);
  if (adapters.length === 0) return { ...rest, conditions: others };
  const statuses = [...adapters].sort((a, b) => a.name.localeCompare(b.name)).map((a) => adapterStatus(a, report));
  const adapterCondition = withTransitionTimes(ms.status?.conditions, [adaptersCondition(statuses)], now, ms.metadata?.generation ?? 0);
  return { ...rest, conditions: [...others, ...adapterCondition], adapters: statuses };
}
