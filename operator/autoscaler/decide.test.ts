// The autoscaler's decisions as tables, with an injected clock: the same readings over time.
import { describe, expect, it } from 'vitest';
import { decide, EMPTY_MEMORY, type Decision, type ScalerMemory, type ScalingPolicy } from './decide.ts';
import type { GatewayReading, LoadObservation, ReplicaReading } from './measure.ts';
import { replicaReading } from './prometheus-text.ts';

const T0 = Date.parse('2026-11-24T12:00:00Z');
const policy: ScalingPolicy = { minReplicas: 1, maxReplicas: 4, metric: 'inFlight', target: 2, scaleDownDelaySeconds: 30 };

/** `n` ready replicas that all answered with `reading`, and no gateway. */
function replicas(current: number, reading: ReplicaReading, ready = current): LoadObservation {
  return {
    currentReplicas: current,
    readyReplicas: ready,
    replicas: Array.from({ length: ready }, () => reading),
    gatewayPods: 0,
    gateways: [],
  };
}

function gatewayOnly(current: number, gateway: GatewayReading): LoadObservation {
  return { currentReplicas: current, readyReplicas: 0, replicas: [], gatewayPods: 1, gateways: [gateway] };
}

/** Runs decide at each second offset, applying every decision as the cluster would. */
function run(p: ScalingPolicy, steps: { at: number; observe: (current: number) => LoadObservation }[], start = 1): Decision[] {
  let memory: ScalerMemory = EMPTY_MEMORY;
  let current = start;
  return steps.map(({ at, observe }) => {
    const decision = decide(p, observe(current), memory, new Date(T0 + at * 1000));
    memory = decision.memory;
    current = decision.replicas;
    return decision;
  });
}

describe('decide: one interval', () => {
  const table: {
    name: string;
    policy?: Partial<ScalingPolicy>;
    observation: LoadObservation;
    replicas: number;
    limit?: string;
    explanation?: string;
  }[] = [
    {
      name: 'scales up at once',
      observation: replicas(1, { running: 3 }),
      replicas: 2,
      explanation: '3 requests in flight across 1 replica, target 2 per replica: scaling 1 → 2.',
    },
    {
      name: 'keeps the count when the load fits',
      observation: replicas(2, { running: 2 }),
      replicas: 2,
      explanation: '4 requests in flight across 2 replicas, target 2 per replica: keeping 2.',
    },
    {
      name: 'stops at maxReplicas and says so',
      observation: replicas(1, { running: 12 }),
      replicas: 4,
      limit: 'MaxReplicas',
      explanation: '12 requests in flight across 1 replica, target 2 per replica: wants 6, capped at maxReplicas 4: scaling 1 → 4.',
    },
    { name: 'brings a count below minReplicas up', policy: { minReplicas: 2 }, observation: replicas(1, { running: 0 }), replicas: 2 },
    { name: 'brings a count above maxReplicas down at once', observation: replicas(6, { running: 0 }), replicas: 4 },
    {
      name: 'queue depth counts waiting requests',
      policy: { metric: 'queueDepth', target: 5 },
      observation: replicas(1, { running: 4, waiting: 11 }),
      replicas: 3,
    },
    {
      name: 'KV cache: the current gauge',
      policy: { metric: 'kvCacheUtilization', target: 0.5 },
      observation: replicas(2, { running: 1, kvCacheUsage: 0.9 }),
      replicas: 4,
      explanation: 'KV-cache use summing to 180% across 2 replicas, target 50% per replica: scaling 2 → 4.',
    },
    {
      name: 'gateway demand at zero replicas starts one at once',
      policy: { minReplicas: 0 },
      observation: gatewayOnly(0, { inFlight: 0, queued: 1 }),
      replicas: 1,
      explanation: '1 request queued at the gateway with 0 replicas: scaling 0 → 1.',
    },
    {
      name: 'gateway demand at zero replicas starts minReplicas when that is more',
      policy: { minReplicas: 0 },
      observation: gatewayOnly(0, { inFlight: 0, queued: 5 }),
      replicas: 3,
    },
    {
      name: 'gateway in-flight requests count when vLLM sees fewer',
      observation: { ...replicas(1, { running: 1 }), gatewayPods: 1, gateways: [{ inFlight: 5, queued: 0 }] },
      replicas: 3,
    },
    {
      name: 'gateway and vLLM counting the same requests are not added',
      observation: { ...replicas(1, { running: 4 }), gatewayPods: 1, gateways: [{ inFlight: 4, queued: 0 }] },
      replicas: 2,
    },
    {
      name: 'requests held at the gateway add to those in flight',
      observation: { ...replicas(1, { running: 4 }), gatewayPods: 1, gateways: [{ inFlight: 4, queued: 2 }] },
      replicas: 3,
      explanation: '6 requests in flight (2 of them queued at the gateway) across 1 replica, target 2 per replica: scaling 1 → 3.',
    },
    {
      name: 'a quiet gateway keeps zero at zero',
      policy: { minReplicas: 0 },
      observation: gatewayOnly(0, { inFlight: 0, queued: 0 }),
      replicas: 0,
    },
    {
      name: 'nothing to measure: holds without calling it a limit',
      policy: { minReplicas: 0 },
      observation: { currentReplicas: 0, readyReplicas: 0, replicas: [], gatewayPods: 0, gateways: [] },
      replicas: 0,
    },
    {
      name: 'no replica answered: never scales down, says why',
      policy: { minReplicas: 0, scaleDownDelaySeconds: 0 },
      observation: { currentReplicas: 3, readyReplicas: 3, replicas: [], gatewayPods: 0, gateways: [] },
      replicas: 3,
      limit: 'MetricsUnavailable',
      explanation: 'none of the 3 ready replicas answered /metrics and no gateway pod serves this model: keeping 3.',
    },
    {
      name: 'a metric no replica exports: named, and no scale-down',
      policy: { metric: 'queueDepth', minReplicas: 0, scaleDownDelaySeconds: 0 },
      observation: replicas(2, { running: 0 }),
      replicas: 2,
      limit: 'MetricsUnavailable',
      explanation: 'vllm:num_requests_waiting is exported by none of the 2 replicas that answered: keeping 2.',
    },
    {
      name: 'KV cache exported by none: names both gauges',
      policy: { metric: 'kvCacheUtilization', target: 0.5 },
      observation: replicas(1, { running: 1 }),
      replicas: 1,
      limit: 'MetricsUnavailable',
      explanation:
        'vllm:kv_cache_usage_perc (or the older vllm:gpu_cache_usage_perc) is exported by none of the 1 replica that answered: keeping 1.',
    },
    {
      name: 'no gateway answered at zero replicas',
      policy: { minReplicas: 0 },
      observation: { currentReplicas: 0, readyReplicas: 0, replicas: [], gatewayPods: 2, gateways: [] },
      replicas: 0,
      limit: 'MetricsUnavailable',
    },
    {
      name: 'a partial reading may raise replicas',
      observation: { currentReplicas: 2, readyReplicas: 2, replicas: [{ running: 6 }], gatewayPods: 0, gateways: [] },
      replicas: 3,
    },
    {
      name: 'a partial reading never lowers them',
      policy: { scaleDownDelaySeconds: 0 },
      observation: { currentReplicas: 3, readyReplicas: 3, replicas: [{ running: 0 }, { running: 0 }], gatewayPods: 0, gateways: [] },
      replicas: 3,
      explanation: '0 requests in flight across 2 replicas, target 2 per replica: keeping 3: not every replica answered, so never fewer.',
    },
    {
      name: 'a delay of zero scales down at once',
      policy: { scaleDownDelaySeconds: 0 },
      observation: replicas(4, { running: 1 }),
      replicas: 2,
    },
  ];

  it.each(table)('$name', ({ policy: overrides, observation, replicas: expected, limit, explanation }) => {
    const decision = decide({ ...policy, ...overrides }, observation, EMPTY_MEMORY, new Date(T0));
    expect(decision.replicas).toBe(expected);
    expect(decision.limit?.reason).toBe(limit);
    if (explanation) expect(decision.explanation).toBe(explanation);
    expect(decision.explanation).toMatch(/^[^\n]+\.$/);
  });

  it('scales on the older KV-cache gauge when a replica exports only that one', () => {
    const older = replicaReading('vllm:gpu_cache_usage_perc{model_name="m"} 0.95\nvllm:num_requests_running{model_name="m"} 3\n');
    const d = decide({ ...policy, metric: 'kvCacheUtilization', target: 0.8 }, replicas(1, older), EMPTY_MEMORY, new Date(T0));
    expect(d.replicas).toBe(2);
    expect(d.explanation).toBe('KV-cache use summing to 95% across 1 replica, target 80% per replica: scaling 1 → 2.');
  });
});

describe('decide: over time', () => {
  const idle = (current: number): LoadObservation => replicas(current, { running: 0, waiting: 0 });
  const busy =
    (running: number) =>
    (current: number): LoadObservation =>
      replicas(current, { running: running / Math.max(current, 1) });

  it('scales down only after scaleDownDelaySeconds of lower recommendations', () => {
    const decisions = run(
      policy,
      [
        { at: 0, observe: busy(8) }, // 8 in flight → 4
        { at: 5, observe: busy(2) }, // wants 1
        { at: 20, observe: busy(2) },
        { at: 34, observe: busy(2) }, // the 4 from t=0 has left the 30 s window: every recommendation in it is 1
        { at: 36, observe: busy(2) },
      ],
      1,
    );
    expect(decisions.map((d) => d.replicas)).toEqual([4, 4, 4, 1, 1]);
    expect(decisions[1]?.explanation).toBe(
      '2 requests in flight across 4 replicas, target 2 per replica: wants 1, keeping 4 until the load has stayed lower for 30 s.',
    );
    expect(decisions[3]?.explanation).toContain('scaling 4 → 1');
  });

  it('takes the highest recommendation of the window (stabilisation), not the latest', () => {
    const decisions = run(
      { ...policy, scaleDownDelaySeconds: 10 },
      [
        { at: 0, observe: busy(8) }, // 4
        { at: 5, observe: busy(6) }, // wants 3
        { at: 12, observe: busy(2) }, // window (2..12] holds 3 and 1 → 3
        { at: 16, observe: busy(2) }, // window (6..16] holds 1 and 1 → 1
      ],
      4,
    );
    expect(decisions.map((d) => d.replicas)).toEqual([4, 4, 3, 1]);
  });

  it('a burst inside the window cancels the scale-down', () => {
    const decisions = run(
      policy,
      [
        { at: 0, observe: idle },
        { at: 20, observe: busy(8) },
        { at: 35, observe: idle },
        { at: 45, observe: idle },
      ],
      4,
    );
    expect(decisions.map((d) => d.replicas)).toEqual([4, 4, 4, 4]);
  });

  it('scales to zero after idling for the delay when minReplicas is 0', () => {
    const p = { ...policy, minReplicas: 0, scaleDownDelaySeconds: 3 };
    const decisions = run(
      p,
      [
        { at: 0, observe: idle },
        { at: 1, observe: idle },
        { at: 2.5, observe: idle },
        { at: 3, observe: idle },
      ],
      1,
    );
    expect(decisions.map((d) => d.replicas)).toEqual([1, 1, 1, 0]);
    expect(decisions[3]?.explanation).toBe('0 requests in flight across 1 replica, target 2 per replica: scaling 1 → 0.');
  });

  it('with a standby keeps one replica (to sleep) instead of going to zero, and starts one at zero', () => {
    const p = { ...policy, minReplicas: 0, scaleDownDelaySeconds: 3, standby: { sleepLevel: 1 } };
    const decisions = run(
      p,
      [
        { at: 0, observe: idle },
        { at: 3, observe: idle },
        { at: 60, observe: idle },
      ],
      2,
    );
    expect(decisions.map((d) => d.replicas)).toEqual([2, 1, 1]);
    const fromZero = decide(
      p,
      { currentReplicas: 0, readyReplicas: 0, replicas: [], gatewayPods: 0, gateways: [] },
      EMPTY_MEMORY,
      new Date(T0),
    );
    expect(fromZero.replicas).toBe(1);
    expect(fromZero.explanation).toContain('scaling 0 → 1 to stay within 1-4');
  });

  it('never goes below minReplicas however long it idles', () => {
    const decisions = run(
      { ...policy, scaleDownDelaySeconds: 1 },
      [
        { at: 0, observe: idle },
        { at: 5, observe: idle },
        { at: 60, observe: idle },
      ],
      3,
    );
    expect(decisions.map((d) => d.replicas)).toEqual([3, 1, 1]);
  });

  it('a gap in the readings restarts the wait before a scale-down', () => {
    const unavailable = (current: number): LoadObservation => ({
      currentReplicas: current,
      readyReplicas: current,
      replicas: [],
      gatewayPods: 0,
      gateways: [],
    });
    const decisions = run(
      { ...policy, scaleDownDelaySeconds: 10 },
      [
        { at: 0, observe: idle },
        { at: 9, observe: unavailable },
        { at: 11, observe: idle }, // steady only since 11
        { at: 20, observe: idle },
        { at: 21, observe: idle },
      ],
      3,
    );
    expect(decisions.map((d) => d.replicas)).toEqual([3, 3, 3, 3, 1]);
    expect(decisions[1]?.result).toBe('metrics_unavailable');
  });

  it('a scale someone else made (the gateway waking the model) restarts the wait', () => {
    const p = { ...policy, minReplicas: 0, scaleDownDelaySeconds: 10 };
    let memory: ScalerMemory = EMPTY_MEMORY;
    for (const at of [0, 5, 10])
      memory = decide(
        p,
        { ...idle(0), readyReplicas: 0, replicas: [], gatewayPods: 1, gateways: [{ inFlight: 0, queued: 0 }] },
        memory,
        new Date(T0 + at * 1000),
      ).memory;
    // The gateway scaled 0 → 1 itself; its queue is already empty when we look.
    const woken = decide(
      p,
      { currentReplicas: 1, readyReplicas: 0, replicas: [], gatewayPods: 1, gateways: [{ inFlight: 0, queued: 0 }] },
      memory,
      new Date(T0 + 11_000),
    );
    expect(woken.replicas).toBe(1);
    const later = decide(
      p,
      { currentReplicas: 1, readyReplicas: 0, replicas: [], gatewayPods: 1, gateways: [{ inFlight: 0, queued: 0 }] },
      woken.memory,
      new Date(T0 + 21_000),
    );
    expect(later.replicas).toBe(0);
  });
});
