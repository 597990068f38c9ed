import { describe, expect, it } from 'vitest';
import { defaultedModelServer } from '../../api/v1alpha1/defaults.ts';
import type { AdapterReport } from '../../adapters/plan.ts';
import { adaptersCondition, adapterStatus, withAdapterStatus } from './adapter-status.ts';
import { computeModelServerStatus } from './status.ts';

const sql = { name: 'sql', source: 'hf://org/sql' };
const bad = { name: 'bad', source: 'hf://org/bad' };
const now = new Date('2026-12-03T10:00:00Z');

function report(...replicas: AdapterReport['replicas']): AdapterReport {
  return { replicas };
}

describe('adapterStatus', () => {
  it('is Loaded when every ready replica reports it', () => {
    const r = report({ pod: 'a', reached: true, loaded: ['sql'], failed: {} }, { pod: 'b', reached: true, loaded: ['sql'], failed: {} });
    expect(adapterStatus(sql, r)).toEqual({ name: 'sql', state: 'Loaded', loadedReplicas: 2 });
  });

  it('is Loading while a replica lacks it or did not answer, and says how far it got', () => {
    const r = report({ pod: 'a', reached: true, loaded: ['sql'], failed: {} }, { pod: 'b', reached: false, error: 'connection refused' });
    expect(adapterStatus(sql, r)).toEqual({
      name: 'sql',
      state: 'Loading',
      loadedReplicas: 1,
      message: 'Loaded on 1 of 2 ready replicas; 1 did not answer.',
    });
    expect(adapterStatus(sql, report())).toMatchObject({ state: 'Loading', message: 'No ready replica: it is loaded when one starts.' });
    expect(adapterStatus(sql, undefined)).toMatchObject({ state: 'Loading', loadedReplicas: 0 });
  });

  it("is Failed with the server's own message when any replica refused it", () => {
    const r = report(
      { pod: 'a', reached: true, loaded: ['sql'], failed: { bad: 'Loading lora bad failed: No adapter found for org/bad' } },
      { pod: 'b', reached: true, loaded: ['sql'], failed: {} },
    );
    expect(adapterStatus(bad, r)).toEqual({
      name: 'bad',
      state: 'Failed',
      loadedReplicas: 0,
      message: 'Loading lora bad failed: No adapter found for org/bad',
    });
  });
});

describe('AdaptersReady', () => {
  it('names the first failed adapter and the message, then loading ones, else True', () => {
    expect(
      adaptersCondition([
        { name: 'bad', state: 'Failed', loadedReplicas: 0, message: 'No adapter found' },
        { name: 'sql', state: 'Loading', loadedReplicas: 0, message: 'x' },
      ]),
    ).toEqual({
      type: 'AdaptersReady',
      status: 'False',
      reason: 'AdapterLoadFailed',
      message: 'Adapter bad failed to load: No adapter found',
    });
    expect(
      adaptersCondition([{ name: 'sql', state: 'Loading', loadedReplicas: 0, message: 'Loaded on 0 of 1 ready replica.' }]),
    ).toMatchObject({
      status: 'False',
      reason: 'AdaptersLoading',
      message: 'Loading sql: Loaded on 0 of 1 ready replica.',
    });
    expect(adaptersCondition([{ name: 'sql', state: 'Loaded', loadedReplicas: 1 }])).toMatchObject({
      status: 'True',
      reason: 'AdaptersLoaded',
    });
  });
});

describe('withAdapterStatus', () => {
  const ms = defaultedModelServer({ name: 'llama', namespace: 'ml' }, { model: { id: 'org/llama' }, adapters: [sql, bad] });
  const base = computeModelServerStatus(ms, { deployment: undefined, pods: [] }, now);

  it('adds status.adapters sorted by name and the condition, leaving Ready and the phase alone', () => {
    const r = report({ pod: 'a', reached: true, loaded: ['sql'], failed: { bad: 'No adapter found' } });
    const status = withAdapterStatus(base, ms, r, now);
    expect(status.adapters?.map((a) => [a.name, a.state])).toEqual([
      ['bad', 'Failed'],
      ['sql', 'Loaded'],
    ]);
    expect(status.conditions?.find((c) => c.type === 'AdaptersReady')).toMatchObject({ status: 'False', reason: 'AdapterLoadFailed' });
    expect(status.phase).toBe(base.phase);
    expect(status.conditions?.find((c) => c.type === 'Ready')).toEqual(base.conditions?.find((c) => c.type === 'Ready'));
  });

  it('keeps the transition time while the condition holds, and drops both when the spec has no adapters', () => {
    const r = report({ pod: 'a', reached: true, loaded: ['bad', 'sql'], failed: {} });
    const first = withAdapterStatus(base, ms, r, now);
    const later = withAdapterStatus(base, { ...ms, status: first }, r, new Date('2026-12-03T11:00:00Z'));
    const time = (s: typeof first) => s.conditions?.find((c) => c.type === 'AdaptersReady')?.lastTransitionTime;
    expect(time(later)).toBe(time(first));
    const without = { ...ms, spec: { ...ms.spec, adapters: [] }, status: first };
    const cleared = withAdapterStatus({ ...base, adapters: first.adapters }, without, r, now);
    expect(cleared.adapters).toBeUndefined();
    expect(cleared.conditions?.some((c) => c.type === 'AdaptersReady')).toBe(false);
  });
});
