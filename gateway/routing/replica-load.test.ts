import { describe, expect, it } from 'vitest';
import { isSaturated, parseReplicaLoad } from './replica-load.ts';

const VLLM = `# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="m"} 3.0
vllm:num_requests_waiting{engine="1",model_name="m"} 2.0
vllm:num_requests_waiting_by_reason{reason="capacity"} 40.0
vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.25
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.5
vllm:num_requests_running{model_name="m"} 9.0
`;

describe('parseReplicaLoad', () => {
  it('sums the waiting queue and takes the fullest KV cache, ignoring metrics that only share a prefix', () => {
    expect(parseReplicaLoad(VLLM)).toEqual({ waiting: 5, kvCacheUsage: 0.5 });
  });

  it("reads the older vLLM's gpu_cache_usage_perc and unlabelled samples", () => {
    expect(parseReplicaLoad('vllm:gpu_cache_usage_perc 0.9\nvllm:num_requests_waiting 0\n')).toEqual({ waiting: 0, kvCacheUsage: 0.9 });
  });

  it('knows nothing from a body without either metric', () => {
    expect(parseReplicaLoad('process_cpu_seconds_total 1\n')).toBeUndefined();
    expect(parseReplicaLoad('')).toBeUndefined();
  });
});

describe('isSaturated', () => {
  it('is saturated from 5 waiting requests or 95 % KV cache use', () => {
    expect(isSaturated({ waiting: 4, kvCacheUsage: 0.94 })).toBe(false);
    expect(isSaturated({ waiting: 5, kvCacheUsage: 0 })).toBe(true);
    expect(isSaturated({ waiting: 0, kvCacheUsage: 0.95 })).toBe(true);
    expect(isSaturated(undefined)).toBe(false);
  });
});
