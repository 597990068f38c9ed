// When idle replicas go to sleep (autoscaling.standby), as tables over an injected clock.
import { describe, expect, it } from 'vitest';
import type { Measurement } from './measure.ts';
import { decideStandby, standbyFloor, type SleepReading, type StandbyInput, type StandbyMemory } from './standby.ts';

const T0 = Date.parse('2026-12-04T12:00:00Z');
const policy = { standby: { sleepLevel: 1 }, scaleDownDelaySeconds: 30 };
const idle: Measurement = { kind: 'measured', total: 0, replicasMeasured: 1, gatewayQueued: 0, active: false, complete: true };
const busy: Measurement = { ...idle, total: 2, active: true };
const partial: Measurement = { ...idle, complete: false };
const awake = (pod = 'vllm-a'): SleepReading => ({ pod, asleep: false });
const asleep = (pod = 'vllm-a'): SleepReading => ({ pod, asleep: true });

/** Runs the decision at each second offset, carrying the memory, with a settled replica count. */
function run(steps: { at: number; measurement: Measurement; readings: SleepReading[] }[], overrides: Partial<StandbyInput> = {}) {
  let previous: StandbyMemory = {};
  return steps.map(({ at, measurement, readings }) => {
    const decision = decideStandby({
      policy,
      measurement,
      readings,
      currentReplicas: 1,
      decidedReplicas: 1,
      previous,
      nowMs: T0 + at * 1000,
      ...overrides,
    });
    previous = decision.memory;
    return decision;
  });
}

describe('decideStandby', () => {
  it('puts the awake replicas to sleep once the load has been nothing for scaleDownDelaySeconds, and says why', () => {
    const decisions = run([
      { at: 0, measurement: idle, readings: [awake('a'), asleep('b')] },
      { at: 29, measurement: idle, readings: [awake('a'), asleep('b')] },
      { at: 30, measurement: idle, readings: [awake('a'), asleep('b')] },
      { at: 45, measurement: idle, readings: [asleep('a'), asleep('b')] },
    ]);
    expect(decisions.map((d) => d.sleep)).toEqual([[], [], ['a'], []]);
    expect(decisions[2]?.explanation).toBe(
      'No load for 30 s: putting 1 replica to sleep (vLLM sleep level 1), freeing GPU memory; a gateway wakes it at the next request.',
    );
  });

  it('any load, or a reading that is not complete, starts the window again', () => {
    const decisions = run([
      { at: 0, measurement: idle, readings: [awake()] },
      { at: 20, measurement: busy, readings: [awake()] },
      { at: 35, measurement: idle, readings: [awake()] },
      { at: 50, measurement: partial, readings: [awake()] },
      { at: 60, measurement: idle, readings: [awake()] },
      { at: 89, measurement: idle, readings: [awake()] },
      { at: 90, measurement: idle, readings: [awake()] },
    ]);
    expect(decisions.map((d) => d.sleep.length)).toEqual([0, 0, 0, 0, 0, 0, 1]);
  });

  it('a replica woken between two readings (a request served unseen) gets a full window before sleeping again', () => {
    const decisions = run([
      { at: 0, measurement: idle, readings: [awake()] },
      { at: 30, measurement: idle, readings: [awake()] },
      { at: 40, measurement: idle, readings: [awake()] },
      { at: 65, measurement: idle, readings: [awake()] },
      { at: 70, measurement: idle, readings: [awake()] },
    ]);
    // Slept at 30; awake at 40 means a gateway woke it: the window starts at 40, not at 0.
    expect(decisions.map((d) => d.sleep.length)).toEqual([0, 1, 0, 0, 1]);
  });

  it('waits for a scale-down to finish, and skips replicas that did not say', () => {
    const scaling = run(
      [
        { at: 0, measurement: idle, readings: [awake()] },
        { at: 30, measurement: idle, readings: [awake()] },
      ],
      {
        currentReplicas: 2,
        decidedReplicas: 1,
      },
    );
    expect(scaling.map((d) => d.sleep.length)).toEqual([0, 0]);
    const silent = run([
      { at: 0, measurement: idle, readings: [{ pod: 'x', asleep: undefined }] },
      { at: 30, measurement: idle, readings: [{ pod: 'x', asleep: undefined }] },
    ]);
    expect(silent.map((d) => d.sleep)).toEqual([[], []]);
  });

  it('does nothing without a standby, and keeps no memory', () => {
    const decision = decideStandby({
      policy: { scaleDownDelaySeconds: 0 },
      measurement: idle,
      readings: [awake()],
      currentReplicas: 1,
      decidedReplicas: 1,
      previous: {},
      nowMs: T0,
    });
    expect(decision).toEqual({ sleep: [], memory: {} });
  });

  it.each([
    [{ minReplicas: 0 }, 0],
    [{ minReplicas: 0, standby: { sleepLevel: 1 } }, 1],
    [{ minReplicas: 3, standby: { sleepLevel: 1 } }, 3],
  ])('floor of %j is %i', (p, floor) => {
    expect(standbyFloor(p)).toBe(floor);
  });
});
