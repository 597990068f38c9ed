import { describe, expect, it } from 'vitest';
import { metricNames } from './promql-metric-names.ts';

describe('metricNames', () => {
  it('finds the selectors and nothing else', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le) (rate(perpetual_request_duration_seconds_bucket[5m])))')).toEqual([
      'perpetual_request_duration_seconds_bucket',
    ]);
  });

  it('skips label names, values, keywords and numbers', () => {
    const expr =
      'sum by (namespace, service) (rate(perpetual_requests_total{status=~"5..", endpoint="/v1/x"}[5m])) / on (namespace) group_left (pod) sum(rate(perpetual_requests_total[1h] offset 5m)) > bool 0.05 or vector(0)';
    expect(metricNames(expr)).toEqual(['perpetual_requests_total']);
  });

  it('keeps colons (vLLM and recording-rule names) and every operand of a binary expression', () => {
    expect(metricNames('max(vllm:kv_cache_usage_perc) * on (pod) group_left () kube_pod_labels unless up')).toEqual([
      'kube_pod_labels',
      'up',
      'vllm:kv_cache_usage_perc',
    ]);
  });

  it('ignores label_replace arguments', () => {
    expect(metricNames('label_replace(kube_pod_status_unschedulable, "modelserver", "$1", "pod", "(.+)-vllm-[a-z0-9]+")')).toEqual([
      'kube_pod_status_unschedulable',
    ]);
  });
});
