// What to do on one replica to make its adapters match spec.adapters, and what the replicas hold
// afterwards. Pure: the sync (syncer.ts) does the calls and feeds the answers back.
import type { LoraAdapter } from '../api/v1alpha1/adapters.ts';
import { adapterPath } from './source.ts';

export type AdapterAction = { kind: 'unload'; name: string } | { kind: 'load'; name: string; path: string };

/** A load a replica refused: not asked again before `retryAt` unless the source changes. */
export interface LoadFailure {
  source: string;
  message: string;
  retryAt: number;
}

/**
 * The calls that bring a replica from `present` (name → the path it was loaded from, '' when the
 * server does not say) to `desired`: unloads first (an adapter gone from the spec, or re-pointed to
 * another source), then loads, each adapter in name order. Idempotent: what the replica already
 * has is left alone, so the same plan run twice does nothing the second time.
 */
export function planReplica(
  desired: readonly LoraAdapter[],
  present: ReadonlyMap<string, string>,
  failures: ReadonlyMap<string, LoadFailure>,
  now: number,
): AdapterAction[] {
  const wanted = new Map(desired.map((a) => [a.name, adapterPath(a.source)]));
  const repointed = (name: string, root: string): boolean => {
    const path = wanted.get(name);
    return path !== undefined && root !== '' && root !== path;
  };
  const unloads: AdapterAction[] = [...present]
    .filter(([name, root]) => !wanted.has(name) || repointed(name, root))
    .map(([name]) => ({ kind: 'unload' as const, name }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const loads: AdapterAction[] = [...desired]
    .filter((a) => !present.has(a.name) || repointed(a.name, present.get(a.name) ?? ''))
    .filter((a) => {
      const failed = failures.get(a.name);
      return !failed || failed.source !== a.source || failed.retryAt <= now;
    })
    .map((a) => ({ kind: 'load' as const, name: a.name, path: adapterPath(a.source) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return [...unloads, ...loads];
}

/** One replica after a sync: what it holds (sorted) and the server's message for each load it refused, or why it could not be asked. */
export type ReplicaOutcome =
  | { pod: string; reached: true; loaded: string[]; failed: Record<string, string> }
  | { pod: string; reached: false; error: string };

/** What a sync found across a ModelServer's ready replicas. */
export interface AdapterReport {
  replicas: ReplicaOutcome[];
}
