import { describe, expect, it } from 'vitest';
import { transitionEvents } from './context.ts';
import { withTransitionTimes } from './conditions.ts';

const cond = (type: string, status: 'True' | 'False', reason = 'R') => ({
  type,
  status,
  reason,
  message: `${type} ${reason}`,
  lastTransitionTime: 't',
});

describe('transitionEvents', () => {
  it('records a phase change once, as a warning when things got worse', () => {
    expect(transitionEvents(undefined, { phase: 'Progressing', phaseReason: 'Starting.' }, [])).toEqual([
      { type: 'Normal', reason: 'Progressing', message: 'Starting.' },
    ]);
    expect(transitionEvents({ phase: 'Ready' }, { phase: 'Degraded', phaseReason: 'x' }, [])[0]?.type).toBe('Warning');
    expect(transitionEvents({ phase: 'Ready' }, { phase: 'Ready' }, [])).toEqual([]);
  });

  it('warns when a watched condition turns True or changes reason, not while it stays', () => {
    const limited = [cond('ScalingLimited', 'True', 'InsufficientGPU')];
    expect(transitionEvents({ conditions: [] }, { conditions: limited }, ['ScalingLimited'])).toEqual([
      { type: 'Warning', reason: 'InsufficientGPU', message: 'ScalingLimited InsufficientGPU' },
    ]);
    expect(transitionEvents({ conditions: limited }, { conditions: limited }, ['ScalingLimited'])).toEqual([]);
    expect(
      transitionEvents({ conditions: limited }, { conditions: [cond('ScalingLimited', 'True', 'MaxReplicas')] }, ['ScalingLimited']),
    ).toHaveLength(1);
  });
});

describe('withTransitionTimes', () => {
  it('stamps new conditions with second precision and the generation', () => {
    const [c] = withTransitionTimes(
      undefined,
      [{ type: 'Ready', status: 'True', reason: 'R', message: 'm' }],
      new Date('2026-01-02T03:04:05.678Z'),
      3,
    );
    expect(c).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'R',
      message: 'm',
      lastTransitionTime: '2026-01-02T03:04:05Z',
      observedGeneration: 3,
    });
  });
});
