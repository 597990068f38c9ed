// Metric names the dashboards and alerts read that no code in this repository exports. Each list
// says where its names come from; hack/observability.test.ts accepts a query only if every name it
// reads is exported by the gateway or operator registries or listed here.

/**
 * vLLM's /metrics, as the vLLM PodMonitor scrapes it. The names are those vLLM's OpenAI server
 * exports (vllm/engine/metrics and vllm/v1/metrics/loggers.py: "vllm:" prefix), and that
 * llm-d-inference-sim v0.10.2, the vLLM stand-in in the tests, reproduces (pkg/llm-d-inference-sim/metrics.go);
 * the operator's autoscaler reads the first four (operator/autoscaler/measure.ts).
 */
export const VLLM_METRICS = [
  'vllm:num_requests_running',
  'vllm:num_requests_waiting',
  'vllm:kv_cache_usage_perc',
  'vllm:gpu_cache_usage_perc', // before vLLM 0.10; kv_cache_usage_perc since
  'vllm:time_to_first_token_seconds_bucket',
  'vllm:time_per_output_token_seconds_bucket',
  'vllm:inter_token_latency_seconds_bucket',
  'vllm:request_queue_time_seconds_bucket',
  'vllm:prompt_tokens_total',
  'vllm:generation_tokens_total',
  'vllm:request_success_total',
] as const;

/**
 * kube-state-metrics v2 (docs/metrics/workload/pod-metrics.md and deployment-metrics.md), with its
 * default settings (no label allow-list needed).
 */
export const KUBE_STATE_METRICS = [
  'kube_pod_status_unschedulable',
  'kube_pod_container_resource_requests',
  'kube_deployment_status_replicas_ready',
  'kube_deployment_spec_replicas',
] as const;
