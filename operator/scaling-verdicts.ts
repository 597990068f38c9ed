// What the autoscaler tells the ModelServer reconciler (this file sits between the two, so neither
// imports the other), which alone writes status: whether scaling
// is limited (and why), and the scales it made. Kept in memory; the reconciler merges the scales
// into status.scalingHistory, which is what survives a restart.
import type { ModelServerStatus } from './api/v1alpha1/model-server.ts';
import type { ScalingLimit } from './autoscaler/decide.ts';
import { stableJson } from './utils.ts';

export type ScaleEvent = NonNullable<ModelServerStatus['lastScale']>;

/** status.scalingHistory keeps this many scales. */
export const SCALING_HISTORY_LENGTH = 10;

export interface ScalingVerdict {
  limit?: ScalingLimit;
  /** Scales this process made, newest first. */
  scaled: ScaleEvent[];
  /** autoscaling.standby: replicas asleep after the last interval. */
  sleeping?: number;
}

export interface VerdictStore {
  get(key: string): ScalingVerdict | undefined;
  /** Records the latest decision; returns whether anything the status shows changed. */
  update(key: string, limit: ScalingLimit | undefined, scaled: ScaleEvent | undefined, sleeping?: number): boolean;
  delete(key: string): void;
  keys(): string[];
}

export function makeVerdictStore(): VerdictStore {
  const verdicts = new Map<string, ScalingVerdict>();
  return {
    get: (key) => verdicts.get(key),
    update: (key, limit, scaled, sleeping) => {
      const before = verdicts.get(key);
      const history = before?.scaled ?? [];
      const next: ScalingVerdict = {
        ...(limit ? { limit } : {}),
        scaled: scaled ? [scaled, ...history].slice(0, SCALING_HISTORY_LENGTH) : history,
        ...(sleeping === undefined ? {} : { sleeping }),
      };
      verdicts.set(key, next);
      return stableJson(before ?? { scaled: [] }) !== stableJson(next);
    },
    delete: (key) => {
      verdicts.delete(key);
    },
    keys: () => [...verdicts.keys()],
  };
}

function sameEvent(a: ScaleEvent, b: ScaleEvent): boolean {
  return a.time === b.time && a.from === b.from && a.to === b.to;
}

/**
 * status.lastScale and status.scalingHistory: the scales this process made merged into what status
 * already holds (from before a restart, or written by an earlier reconcile), newest first.
 * Idempotent: merging the same scales again changes nothing.
 */
export function mergeScalingHistory(
  previous: Pick<ModelServerStatus, 'lastScale' | 'scalingHistory'> | undefined,
  made: readonly ScaleEvent[],
): Pick<ModelServerStatus, 'lastScale' | 'scalingHistory'> {
  const known = [...(previous?.scalingHistory ?? []), ...(previous?.lastScale ? [previous.lastScale] : [])];
  const merged: ScaleEvent[] = [];
  for (const event of [...made, ...known]) if (!merged.some((e) => sameEvent(e, event))) merged.push(event);
  // ISO times sort as strings; the stable sort keeps this process's order for scales in the same second.
  const history = merged.sort((a, b) => b.time.localeCompare(a.time)).slice(0, SCALING_HISTORY_LENGTH);
  const [lastScale] = history;
  return lastScale ? { lastScale, scalingHistory: history } : {};
}
