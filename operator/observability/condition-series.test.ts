import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { conditionSeries, setConditionSeries, type ConditionLabel, type ObjectWithConditions } from './condition-series.ts';

const pd = (name: string, conditions: { type: string; status: string; reason: string }[] | undefined): ObjectWithConditions => ({
  metadata: { namespace: 'team-a', name },
  status: conditions && { conditions: conditions.map((c) => ({ ...c, message: 'ignored', lastTransitionTime: '2026-01-01T00:00:00Z' })) },
});

describe('conditionSeries', () => {
  it('gives one series per condition, labelled by kind, namespace, name, type, reason and status', () => {
    const series = conditionSeries('PerpetualDeployment', [
      pd('chat', [
        { type: 'Ready', status: 'False', reason: 'ComponentsNotReady' },
        { type: 'Stalled', status: 'True', reason: 'SecretNotFound' },
      ]),
    ]);
    expect(series).toEqual([
      { kind: 'PerpetualDeployment', namespace: 'team-a', name: 'chat', type: 'Ready', reason: 'ComponentsNotReady', status: 'False' },
      { kind: 'PerpetualDeployment', namespace: 'team-a', name: 'chat', type: 'Stalled', reason: 'SecretNotFound', status: 'True' },
    ]);
  });

  it('gives none for an object the operator has not written a status for yet', () => {
    expect(conditionSeries('ModelServer', [pd('new', undefined), { metadata: { namespace: 'a', name: 'b' }, status: {} }])).toEqual([]);
  });
});

describe('setConditionSeries', () => {
  const exposition = async (registry: Registry): Promise<string[]> =>
    (await registry.metrics()).split('\n').filter((line) => line.startsWith('perpetual_operator_condition{'));

  it('replaces every series, so a changed reason or a deleted object leaves nothing stale', async () => {
    const registry = new Registry();
    const gauge = new Gauge<ConditionLabel>({
      name: 'perpetual_operator_condition',
      help: 'test',
      labelNames: ['kind', 'namespace', 'name', 'type', 'reason', 'status'],
      registers: [registry],
    });
    setConditionSeries(
      gauge,
      conditionSeries('ModelServer', [
        pd('llama', [{ type: 'ScalingLimited', status: 'True', reason: 'InsufficientGPU' }]),
        pd('gone', [{ type: 'Ready', status: 'True', reason: 'ReplicasReady' }]),
      ]),
    );
    expect(await exposition(registry)).toEqual([
      'perpetual_operator_condition{kind="ModelServer",namespace="team-a",name="llama",type="ScalingLimited",reason="InsufficientGPU",status="True"} 1',
      'perpetual_operator_condition{kind="ModelServer",namespace="team-a",name="gone",type="Ready",reason="ReplicasReady",status="True"} 1',
    ]);

    setConditionSeries(
      gauge,
      conditionSeries('ModelServer', [pd('llama', [{ type: 'ScalingLimited', status: 'True', reason: 'MaxReplicas' }])]),
    );
    expect(await exposition(registry)).toEqual([
      'perpetual_operator_condition{kind="ModelServer",namespace="team-a",name="llama",type="ScalingLimited",reason="MaxReplicas",status="True"} 1',
    ]);
  });
});
