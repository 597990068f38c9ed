// The autoscaler object a ModelServer asks for when another engine owns its replica count:
// `hpa` → an autoscaling/v2 HorizontalPodAutoscaler, `keda` → a KEDA ScaledObject. Both target the
// ModelServer's scale subresource, so they write spec.replicas just as the built-in autoscaler does.
// Pure: no clock, no cluster reads.
import type { KubernetesObject } from '@kubernetes/client-node';
import { ModelServerConditions as C, ScalingActiveReasons } from '../../api/v1alpha1/conditions.ts';
import { Annotations } from '../../api/v1alpha1/labels.ts';
import type { ModelServer, ScalingMetric } from '../../api/v1alpha1/model-server.ts';
import { buildPodsMetricHorizontalPodAutoscaler } from '../../resources/horizontal-pod-autoscaler.ts';
import { childMeta, type Owner } from '../../resources/meta.ts';
import { buildScaledObject, type PrometheusTrigger } from '../../resources/scaled-object.ts';
import { condition, type ConditionInput } from '../conditions.ts';
import { modelServerChildNames } from './names.ts';

/**
 * The Pods metric an `hpa` engine reads from the custom metrics API. Nothing serves it by default:
 * a Prometheus adapter must expose vLLM's gauge under this name, e.g. for prometheus-adapter:
 *   - seriesQuery: 'vllm:num_requests_running{namespace!="",pod!=""}'
 *     resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}
 *     name: {matches: 'vllm:num_requests_running', as: 'vllm_num_requests_running'}
 *     metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
 * (Names with a colon are not valid custom-metric names, hence the underscores.)
 */
export const HPA_POD_METRICS: Record<ScalingMetric, string> = {
  inFlight: 'vllm_num_requests_running',
  queueDepth: 'vllm_num_requests_waiting',
  kvCacheUtilization: 'vllm_kv_cache_usage_perc',
};

/** Where a `keda` engine's ScaledObject queries Prometheus unless the prometheus-address annotation says otherwise (prometheus-operator's Service in `monitoring`). */
export const DEFAULT_PROMETHEUS_ADDRESS = 'http://prometheus-operated.monitoring.svc:9090';

/** KEDA polls this often; it matters for activation from zero (1↔N follows the HPA KEDA makes). */
const KEDA_POLLING_SECONDS = 5;

export interface AutoscalingInputs {
  /** Whether the cluster serves KEDA's ScaledObject API. */
  kedaInstalled: boolean;
  /** models[].name of the PerpetualDeployments that route to this ModelServer (the gateway's `model` label). */
  gatewayModelNames: readonly string[];
}

export const NO_AUTOSCALING_INPUTS: AutoscalingInputs = { kedaInstalled: false, gatewayModelNames: [] };

/** A Kubernetes quantity for a target: integers as they are, fractions in milli-units ("0.8" → "800m"). */
export function quantity(n: number): string {
  return Number.isInteger(n) ? String(n) : `${String(Math.round(n * 1000))}m`;
}

function promString(value: string): string {
  return JSON.stringify(value); // PromQL string literals escape like JSON's
}

function regexAlternatives(values: readonly string[]): string {
  return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/** The PromQL sum of a vLLM gauge over this ModelServer's replicas (vLLM labels series with model_name). */
export function vllmQuery(metric: ScalingMetric, namespace: string, servedName: string): string {
  const selector = `{namespace=${promString(namespace)},model_name=${promString(servedName)}}`;
  if (metric === 'inFlight') return `sum(vllm:num_requests_running${selector})`;
  if (metric === 'queueDepth') return `sum(vllm:num_requests_waiting${selector})`;
  return `sum(vllm:kv_cache_usage_perc${selector}) or sum(vllm:gpu_cache_usage_perc${selector})`;
}

function gatewayTrigger(ms: ModelServer, serverAddress: string, modelNames: readonly string[]): PrometheusTrigger {
  const autoscaling = ms.spec.autoscaling;
  const requestMetric = autoscaling?.metric !== 'kvCacheUtilization';
  return {
    name: 'gateway-queue',
    serverAddress,
    query: `sum(perpetual_queued_requests{namespace=${promString(ms.metadata?.namespace ?? '')},model=~${promString(regexAlternatives(modelNames))}})`,
    // Requests held at the gateway count like requests at a replica; for KV-cache scaling they only
    // wake the model (one replica per million held requests never drives 1↔N).
    threshold: requestMetric ? String(autoscaling?.target ?? 1) : '1000000',
    activationThreshold: '0',
  };
}

function scaleTargetRef(ms: ModelServer) {
  return { apiVersion: ms.apiVersion ?? '', kind: 'ModelServer', name: ms.metadata?.name ?? '' };
}

export function prometheusAddress(ms: ModelServer): string {
  return ms.metadata?.annotations?.[Annotations.prometheusAddress] ?? DEFAULT_PROMETHEUS_ADDRESS;
}

/** The HPA or ScaledObject this ModelServer needs, if any (none for `builtin`, none for `keda` without KEDA). */
export function autoscalerObjects(owner: Owner, ms: ModelServer, inputs: AutoscalingInputs): KubernetesObject[] {
  const autoscaling = ms.spec.autoscaling;
  const meta = childMeta(owner, modelServerChildNames(owner.name).workload, 'vllm');
  if (autoscaling?.engine === 'hpa') {
    return [
      buildPodsMetricHorizontalPodAutoscaler(meta, {
        scaleTargetRef: scaleTargetRef(ms),
        // HPA cannot scale to zero without the HPAScaleToZero feature gate; use builtin or keda for that.
        minReplicas: Math.max(1, autoscaling.minReplicas),
        maxReplicas: autoscaling.maxReplicas,
        metricName: HPA_POD_METRICS[autoscaling.metric],
        averageValue: quantity(autoscaling.target),
        scaleDownStabilizationSeconds: autoscaling.scaleDownDelaySeconds,
      }),
    ];
  }
  if (autoscaling?.engine !== 'keda' || !inputs.kedaInstalled) return [];
  const serverAddress = prometheusAddress(ms);
  const triggers: PrometheusTrigger[] = [
    {
      name: autoscaling.metric,
      serverAddress,
      query: vllmQuery(autoscaling.metric, owner.namespace, ms.spec.model.servedName ?? ms.spec.model.id),
      threshold: String(autoscaling.target),
    },
  ];
  if (inputs.gatewayModelNames.length > 0) triggers.push(gatewayTrigger(ms, serverAddress, inputs.gatewayModelNames));
  return [
    buildScaledObject(meta, {
      scaleTargetRef: scaleTargetRef(ms),
      minReplicaCount: autoscaling.minReplicas,
      maxReplicaCount: autoscaling.maxReplicas,
      pollingIntervalSeconds: KEDA_POLLING_SECONDS,
      cooldownPeriodSeconds: autoscaling.scaleDownDelaySeconds,
      scaleDownStabilizationSeconds: autoscaling.scaleDownDelaySeconds,
      triggers,
    }),
  ];
}

/** ScalingActive: which engine scales this ModelServer, or why none does. Absent without spec.autoscaling. */
export function scalingActiveCondition(ms: ModelServer, kedaInstalled: boolean): ConditionInput | undefined {
  const autoscaling = ms.spec.autoscaling;
  if (!autoscaling) return undefined;
  const name = modelServerChildNames(ms.metadata?.name ?? '').workload;
  const target = `target ${String(autoscaling.target)} per replica`;
  if (autoscaling.engine === 'builtin') {
    return condition(
      C.ScalingActive,
      true,
      ScalingActiveReasons.BuiltinAutoscaler,
      `The operator scales on ${autoscaling.metric}, ${target}.`,
    );
  }
  if (autoscaling.engine === 'hpa') {
    return condition(
      C.ScalingActive,
      true,
      ScalingActiveReasons.HorizontalPodAutoscaler,
      `HorizontalPodAutoscaler ${name} scales on the Pods metric ${HPA_POD_METRICS[autoscaling.metric]}, ${target}; a Prometheus adapter must serve that metric.`,
    );
  }
  if (!kedaInstalled) {
    return condition(
      C.ScalingActive,
      false,
      ScalingActiveReasons.KEDANotInstalled,
      'KEDA is not installed (the cluster does not serve keda.sh/v1alpha1 ScaledObjects): install KEDA, or set autoscaling.engine to builtin or hpa. Replicas stay as they are.',
    );
  }
  return condition(
    C.ScalingActive,
    true,
    ScalingActiveReasons.ScaledObject,
    `KEDA ScaledObject ${name} scales on ${autoscaling.metric} from Prometheus at ${prometheusAddress(ms)}, ${target}.`,
  );
}
