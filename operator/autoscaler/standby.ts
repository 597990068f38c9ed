// autoscaling.standby: when to put a ModelServer's idle replicas to sleep (vLLM sleep mode) instead
// of removing the last of them. Pure: the measurement of this interval, each ready replica's answer
// to /is_sleeping and what the last interval remembered come in; the pods to put to sleep, a
// one-sentence reason and the next memory go out.
//
// A replica sleeps once the load has been nothing at all (nothing running, waiting, in flight or
// held at a gateway, every source answering) for scaleDownDelaySeconds: the same window as a scale
// down, which the autoscaler finishes first (a ModelServer above its floor sheds replicas, then
// sleeps). Waking is the gateway's (it holds the request meanwhile); a replica found awake that slept
// at the last interval was woken, which starts the window again, so a request served between two
// readings does not send it back to sleep at once.
import type { ModelServerSpec } from '../api/v1alpha1/model-server.ts';
import type { Measurement } from './measure.ts';
import { plural } from '../utils.ts';

type Autoscaling = NonNullable<ModelServerSpec['autoscaling']>;

/** One ready replica and what its /is_sleeping said: undefined when it did not answer. */
export interface SleepReading {
  pod: string;
  asleep: boolean | undefined;
}

export interface StandbyMemory {
  /** Since when every reading was idle (unset: not idle, or not known to be). */
  idleSinceMs?: number;
  /** Replicas known awake at the last interval. */
  awake?: number;
}

export interface StandbyDecision {
  /** The pods to put to sleep now. */
  sleep: string[];
  /** Why, in one sentence (set when `sleep` is not empty). */
  explanation?: string;
  memory: StandbyMemory;
}

export interface StandbyInput {
  policy: Pick<Autoscaling, 'standby' | 'scaleDownDelaySeconds'>;
  measurement: Measurement;
  readings: readonly SleepReading[];
  /** The replica count before and after this interval's scale decision: only a settled count sleeps. */
  currentReplicas: number;
  decidedReplicas: number;
  previous: StandbyMemory;
  nowMs: number;
}

/** The fewest replicas with a standby: one kept asleep instead of none. */
export function standbyFloor(policy: Pick<Autoscaling, 'standby' | 'minReplicas'>): number {
  return policy.standby ? Math.max(policy.minReplicas, 1) : policy.minReplicas;
}

export function decideStandby(input: StandbyInput): StandbyDecision {
  const { policy, measurement: m, readings, nowMs } = input;
  if (!policy.standby) return { sleep: [], memory: {} };
  const awake = readings.filter((r) => r.asleep === false);
  const woken = input.previous.awake !== undefined && awake.length > input.previous.awake;
  const idle = m.kind === 'measured' && m.complete && !m.active;
  const idleSinceMs = !idle ? undefined : woken ? nowMs : (input.previous.idleSinceMs ?? nowMs);
  const memory: StandbyMemory = { awake: awake.length, ...(idleSinceMs === undefined ? {} : { idleSinceMs }) };
  const delaySeconds = policy.scaleDownDelaySeconds;
  const settled = input.currentReplicas === input.decidedReplicas;
  if (idleSinceMs === undefined || nowMs - idleSinceMs < delaySeconds * 1000 || !settled || awake.length === 0)
    return { sleep: [], memory };
  return {
    sleep: awake.map((r) => r.pod),
    explanation:
      `No load for ${String(delaySeconds)} s: putting ${plural(awake.length, 'replica')} to sleep (vLLM sleep level ${String(policy.standby.sleepLevel)}), ` +
      'freeing GPU memory; a gateway wakes it at the next request.',
    // Asleep from now on: a reading of "awake" at the next interval means someone woke it.
    memory: { ...memory, awake: 0 },
  };
}
