import { describe, expect, it } from 'vitest';
import { makeVerdictStore, mergeScalingHistory, type ScaleEvent } from './scaling-verdicts.ts';

const event = (second: number, from: number, to: number): ScaleEvent => ({
  time: `2026-11-24T12:00:${String(second).padStart(2, '0')}Z`,
  from,
  to,
  reason: `${String(from)} → ${String(to)}`,
});

describe('the verdict store', () => {
  it('says when what status shows changed, and keeps the newest scales first', () => {
    const store = makeVerdictStore();
    expect(store.update('ml/a', undefined, undefined)).toBe(false);
    expect(store.update('ml/a', { reason: 'MaxReplicas', message: 'capped' }, undefined)).toBe(true);
    expect(store.update('ml/a', { reason: 'MaxReplicas', message: 'capped' }, undefined)).toBe(false);
    expect(store.update('ml/a', undefined, event(1, 1, 2))).toBe(true);
    expect(store.update('ml/a', undefined, event(2, 2, 3))).toBe(true);
    expect(store.get('ml/a')).toEqual({ scaled: [event(2, 2, 3), event(1, 1, 2)] });
    expect(store.update('ml/a', undefined, undefined, 1)).toBe(true);
    expect(store.update('ml/a', undefined, undefined, 1)).toBe(false);
    expect(store.get('ml/a')?.sleeping).toBe(1);
    store.delete('ml/a');
    expect(store.keys()).toEqual([]);
  });
});

describe('mergeScalingHistory', () => {
  it('puts new scales first, keeps what status had, and is idempotent', () => {
    const previous = { lastScale: event(1, 0, 1), scalingHistory: [event(1, 0, 1)] };
    const merged = mergeScalingHistory(previous, [event(9, 2, 1), event(5, 1, 2)]);
    expect(merged.lastScale).toEqual(event(9, 2, 1));
    expect(merged.scalingHistory).toEqual([event(9, 2, 1), event(5, 1, 2), event(1, 0, 1)]);
    expect(mergeScalingHistory(merged, [event(9, 2, 1), event(5, 1, 2)])).toEqual(merged);
  });

  it('keeps at most 10, newest first', () => {
    const made = Array.from({ length: 14 }, (_, i) => event(i, i, i + 1)).reverse();
    const merged = mergeScalingHistory(undefined, made);
    expect(merged.scalingHistory).toHaveLength(10);
    expect(merged.scalingHistory?.[0]?.to).toBe(14);
  });

  it('has nothing to say before the first scale', () => {
    expect(mergeScalingHistory(undefined, [])).toEqual({});
  });
});
