// The autoscaler's decision for one ModelServer in one interval. Pure: the clock, the readings and
// the memory of earlier recommendations come in; the replica count, a one-sentence explanation
// and the next memory go out.
//
// Kubernetes-HPA style: the recommendation is ceil(total / target) within [min, max]. A higher
// recommendation applies at once; a lower one only once every recommendation over the last
// scaleDownDelaySeconds was lower (the stabilisation window keeps their maximum), so a single
// quiet interval never removes a replica. Zero is only recommended when nothing at all is running,
// waiting, in flight or queued; and never with a standby (standby.ts), which keeps one replica asleep instead.
import type { ModelServerSpec, ScalingMetric } from '../api/v1alpha1/model-server.ts';
import { ScalingLimitedReasons } from '../api/v1alpha1/conditions.ts';
import { measure, type LoadObservation, type Measurement } from './measure.ts';
import { plural } from '../utils.ts';
import { standbyFloor } from './standby.ts';

export type ScalingPolicy = Pick<
  NonNullable<ModelServerSpec['autoscaling']>,
  'minReplicas' | 'maxReplicas' | 'metric' | 'target' | 'scaleDownDelaySeconds' | 'standby'
>;

/** What the autoscaler remembers about one ModelServer between intervals. */
export interface ScalerMemory {
  /** Recommendations inside the scale-down window, oldest first. */
  recommendations: { atMs: number; replicas: number }[];
  /** Since when every interval produced a full reading (unset after a gap or someone else's scale). */
  steadySinceMs?: number;
  /** The replica count after our last decision; any other count means someone else scaled. */
  lastReplicas?: number;
}

export const EMPTY_MEMORY: ScalerMemory = { recommendations: [] };

export type DecisionResult = 'scale_up' | 'scale_down' | 'unchanged' | 'metrics_unavailable';

export interface ScalingLimit {
  reason: typeof ScalingLimitedReasons.MaxReplicas | typeof ScalingLimitedReasons.MetricsUnavailable;
  message: string;
}

export interface Decision {
  /** The replica count to have now (equal to the current one when nothing changes). */
  replicas: number;
  result: DecisionResult;
  /** One sentence, e.g. "3 requests in flight across 1 replica, target 2 per replica: scaling 1 → 2." */
  explanation: string;
  limit?: ScalingLimit;
  memory: ScalerMemory;
  /** What the load was read as (the standby decision reads it too). */
  measurement: Measurement;
}

function clamp(n: number, policy: ScalingPolicy): number {
  return Math.min(Math.max(n, standbyFloor(policy)), policy.maxReplicas);
}

/** Replicas the load asks for before min and max: zero only when idle, never zero when busy. */
export function rawRecommendation(m: Extract<Measurement, { kind: 'measured' }>, target: number): number {
  if (!m.active) return 0;
  // The epsilon keeps 6 / 2 from becoming 4 when 6 arrives as 6.000000000000001.
  return Math.max(1, Math.ceil(m.total / target - 1e-9));
}

function formatNumber(n: number): string {
  return String(Number(n.toFixed(2)));
}

function percent(fraction: number): string {
  return `${formatNumber(Math.round(fraction * 1000) / 10)}%`;
}

function across(replicasMeasured: number): string {
  return replicasMeasured > 0 ? `across ${plural(replicasMeasured, 'replica')}` : 'with no ready replica';
}

/** "3 requests in flight across 1 replica, target 2 per replica". */
export function describeLoad(metric: ScalingMetric, m: Extract<Measurement, { kind: 'measured' }>, target: number): string {
  const where = across(m.replicasMeasured);
  const per = `target ${formatNumber(target)} per replica`;
  if (metric === 'kvCacheUtilization') return `KV-cache use summing to ${percent(m.total)} ${where}, target ${percent(target)} per replica`;
  const load = metric === 'inFlight' ? `${plural(m.total, 'request')} in flight` : `${plural(m.total, 'request')} waiting`;
  const gateway = m.gatewayQueued > 0 ? ` (${String(m.gatewayQueued)} of them queued at the gateway)` : '';
  return `${load}${gateway} ${where}, ${per}`;
}

function change(from: number, to: number): string {
  return `scaling ${String(from)} → ${String(to)}`;
}

/** Starts the window again when someone else changed the replica count (kubectl scale, the gateway's wake-up). */
function afterOutsideChange(memory: ScalerMemory, current: number, nowMs: number): ScalerMemory {
  if (memory.lastReplicas === undefined || memory.lastReplicas === current) return memory;
  return { recommendations: [], steadySinceMs: nowMs, lastReplicas: current };
}

function remember(memory: ScalerMemory, recommended: number, complete: boolean, window: { seconds: number; nowMs: number }): ScalerMemory {
  // A partial reading is only a lower bound on the load: it may raise replicas, never count toward lowering them.
  if (!complete) return { recommendations: [], lastReplicas: memory.lastReplicas };
  const nowMs = window.nowMs;
  const windowStart = nowMs - window.seconds * 1000;
  return {
    recommendations: [...memory.recommendations.filter((r) => r.atMs > windowStart), { atMs: nowMs, replicas: recommended }],
    steadySinceMs: memory.steadySinceMs ?? nowMs,
    lastReplicas: memory.lastReplicas,
  };
}

/** Without a usable reading only min and max apply (a changed spec), never the load. */
function withoutReading(policy: ScalingPolicy, current: number, m: Exclude<Measurement, { kind: 'measured' }>): Decision {
  const replicas = clamp(current, policy);
  const outcome =
    replicas === current
      ? `keeping ${String(current)}`
      : `${change(current, replicas)} to stay within ${String(standbyFloor(policy))}-${String(policy.maxReplicas)}`;
  const explanation = `${m.message}: ${outcome}.`;
  const memory: ScalerMemory = { recommendations: [], lastReplicas: replicas };
  if (m.kind === 'nothingToMeasure') return { replicas, result: resultOf(current, replicas), explanation, memory, measurement: m };
  return {
    replicas,
    result: 'metrics_unavailable',
    explanation,
    memory,
    measurement: m,
    limit: { reason: ScalingLimitedReasons.MetricsUnavailable, message: explanation },
  };
}

function resultOf(current: number, replicas: number): DecisionResult {
  if (replicas > current) return 'scale_up';
  return replicas < current ? 'scale_down' : 'unchanged';
}

interface Proposal {
  replicas: number;
  outcome: string;
}

/** One interval's inputs to the choice between up, down and unchanged. */
interface Step {
  policy: ScalingPolicy;
  current: number;
  recommended: number;
  complete: boolean;
  memory: ScalerMemory;
  nowMs: number;
}

/** Up at once; down only to the highest recommendation of a window that is full and steady. */
function scaleDown({ policy, current, recommended, memory, nowMs }: Step): Proposal {
  if (recommended >= current) return { replicas: current, outcome: `keeping ${String(current)}` };
  const delaySeconds = policy.scaleDownDelaySeconds;
  const steadyMs = memory.steadySinceMs === undefined ? -1 : nowMs - memory.steadySinceMs;
  const windowMax = Math.max(...memory.recommendations.map((r) => r.replicas));
  if (steadyMs < delaySeconds * 1000 || windowMax >= current) {
    return {
      replicas: current,
      outcome: `wants ${String(recommended)}, keeping ${String(current)} until the load has stayed lower for ${String(delaySeconds)} s`,
    };
  }
  return { replicas: windowMax, outcome: change(current, windowMax) };
}

function proposal(step: Step): Proposal {
  const { policy, current, recommended } = step;
  if (current > policy.maxReplicas)
    return { replicas: policy.maxReplicas, outcome: `${change(current, policy.maxReplicas)} to stay within maxReplicas` };
  if (recommended > current) return { replicas: recommended, outcome: change(current, recommended) };
  if (!step.complete) return { replicas: current, outcome: `keeping ${String(current)}: not every replica answered, so never fewer` };
  return scaleDown(step);
}

export function decide(policy: ScalingPolicy, observation: LoadObservation, previous: ScalerMemory, now: Date): Decision {
  const nowMs = now.getTime();
  const current = observation.currentReplicas;
  const m = measure(policy.metric, observation);
  if (m.kind !== 'measured') return withoutReading(policy, current, m);

  const raw = rawRecommendation(m, policy.target);
  const recommended = clamp(raw, policy);
  const memory = remember(afterOutsideChange(previous, current, nowMs), recommended, m.complete, {
    seconds: policy.scaleDownDelaySeconds,
    nowMs,
  });
  const chosen = proposal({ policy, current, recommended, complete: m.complete, memory, nowMs });
  const capped = raw > policy.maxReplicas ? `wants ${String(raw)}, capped at maxReplicas ${String(policy.maxReplicas)}: ` : '';
  const load =
    current === 0 && m.gatewayQueued > 0 && m.replicasMeasured === 0
      ? `${plural(m.gatewayQueued, 'request')} queued at the gateway with 0 replicas`
      : describeLoad(policy.metric, m, policy.target);
  const explanation = `${load}: ${capped}${chosen.outcome}.`;
  return {
    replicas: chosen.replicas,
    result: resultOf(current, chosen.replicas),
    explanation,
    memory: { ...memory, lastReplicas: chosen.replicas },
    measurement: m,
    ...(capped ? { limit: { reason: ScalingLimitedReasons.MaxReplicas, message: explanation } } : {}),
  };
}
