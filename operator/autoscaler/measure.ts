// Turns what the replicas and gateways said into one number for the chosen metric, and says
// whether that number can be trusted for a scale-down. Pure.
import type { ScalingMetric } from '../api/v1alpha1/model-server.ts';
import { plural } from '../utils.ts';

/** vLLM's gauges, as one replica's /metrics exported them; absent when not exported. */
export interface ReplicaReading {
  running?: number;
  waiting?: number;
  /** vllm:kv_cache_usage_perc, or the older vllm:gpu_cache_usage_perc (0-1). */
  kvCacheUsage?: number;
}

/** One gateway pod's demand for this model (summed over the model names that point at it). */
export interface GatewayReading {
  inFlight: number;
  queued: number;
}

/** Everything read in one interval for one ModelServer. */
export interface LoadObservation {
  /** spec.replicas: what the scale subresource says now. */
  currentReplicas: number;
  /** Ready replicas that were asked for /metrics. */
  readyReplicas: number;
  /** Readings of the ready replicas that answered. */
  replicas: ReplicaReading[];
  /** Ready gateway pods that serve this model and were asked. */
  gatewayPods: number;
  /** Readings of the gateway pods that answered. */
  gateways: GatewayReading[];
}

export const VllmMetrics = {
  running: 'vllm:num_requests_running',
  waiting: 'vllm:num_requests_waiting',
  kvCache: 'vllm:kv_cache_usage_perc',
  /** What vLLM before 0.10 called the KV-cache gauge. */
  kvCacheLegacy: 'vllm:gpu_cache_usage_perc',
} as const;

export const GatewayMetrics = {
  inFlight: 'perpetual_inflight_requests',
  queued: 'perpetual_queued_requests',
} as const;

export type Measurement =
  | { kind: 'measured'; total: number; replicasMeasured: number; gatewayQueued: number; active: boolean; complete: boolean }
  /** Nothing answered that could be asked (or the metric is exported by none): never scale down on this. */
  | { kind: 'unavailable'; message: string }
  /** Nothing to ask: no ready replica and no gateway pod serves this model. */
  | { kind: 'nothingToMeasure'; message: string };

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function defined(values: readonly (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined);
}

/** The name of the replica metric behind a scaling metric, as a human reads it in a message. */
export function replicaMetricName(metric: ScalingMetric): string {
  if (metric === 'inFlight') return VllmMetrics.running;
  if (metric === 'queueDepth') return VllmMetrics.waiting;
  return `${VllmMetrics.kvCache} (or the older ${VllmMetrics.kvCacheLegacy})`;
}

function replicaValue(metric: ScalingMetric, reading: ReplicaReading): number | undefined {
  if (metric === 'inFlight') return reading.running;
  if (metric === 'queueDepth') return reading.waiting;
  return reading.kvCacheUsage;
}

/**
 * The chosen metric summed over every source. The gateway sees requests that have not reached a
 * replica (held while none is ready: perpetual_queued_requests); vLLM sees requests from clients
 * other than the gateway. The gateway's perpetual_inflight_requests excludes held requests.
 * - inFlight: the larger of vLLM's running requests and the gateway's in-flight requests (they
 *   count the same requests from two sides, so adding them would count twice), plus the requests
 *   held at the gateway.
 * - queueDepth: requests waiting in vLLM plus requests held at the gateway (disjoint: a held
 *   request has not been sent to vLLM yet).
 * - kvCacheUtilization: the replicas' KV-cache use; gateways add nothing in that unit.
 */
function total(metric: ScalingMetric, replicaValues: readonly number[], gateways: readonly GatewayReading[]): number {
  const gatewayQueued = sum(gateways.map((g) => g.queued));
  if (metric === 'inFlight') return Math.max(sum(replicaValues), sum(gateways.map((g) => g.inFlight))) + gatewayQueued;
  if (metric === 'queueDepth') return sum(replicaValues) + gatewayQueued;
  return sum(replicaValues);
}

function unavailableMessage(metric: ScalingMetric, o: LoadObservation, replicaValues: readonly number[]): string | undefined {
  if (o.replicas.length > 0 && replicaValues.length === 0) {
    return `${replicaMetricName(metric)} is exported by none of the ${plural(o.replicas.length, 'replica')} that answered`;
  }
  if (o.replicas.length > 0 || o.gateways.length > 0) return undefined;
  const replicas =
    o.readyReplicas > 0 ? `none of the ${plural(o.readyReplicas, 'ready replica')} answered /metrics` : 'no replica is ready';
  if (o.gatewayPods > 0) return `${replicas} and none of the ${plural(o.gatewayPods, 'gateway pod')} answered /prometheus`;
  return o.readyReplicas > 0 ? `${replicas} and no gateway pod serves this model` : undefined;
}

export function measure(metric: ScalingMetric, o: LoadObservation): Measurement {
  const replicaValues = defined(o.replicas.map((r) => replicaValue(metric, r)));
  const unavailable = unavailableMessage(metric, o, replicaValues);
  if (unavailable) return { kind: 'unavailable', message: unavailable };
  if (o.readyReplicas === 0 && o.gatewayPods === 0) {
    return {
      kind: 'nothingToMeasure',
      message: 'No replica is ready and no gateway pod serves this model, so there is no load to measure',
    };
  }
  const activity = [...o.replicas.flatMap((r) => [r.running ?? 0, r.waiting ?? 0]), ...o.gateways.flatMap((g) => [g.inFlight, g.queued])];
  return {
    kind: 'measured',
    total: total(metric, replicaValues, o.gateways),
    replicasMeasured: replicaValues.length,
    gatewayQueued: sum(o.gateways.map((g) => g.queued)),
    active: activity.some((v) => v > 0),
    // A missing reading might have been the busy one: only a full set may justify fewer replicas.
    complete: o.replicas.length === o.readyReplicas && replicaValues.length === o.replicas.length && o.gateways.length === o.gatewayPods,
  };
}
