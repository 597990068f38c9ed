import { describe, expect, it } from 'vitest';
import { gatewayReading, parseLabels, parseSamples, replicaReading } from './prometheus-text.ts';

// What llm-d-inference-sim (the vLLM stand-in) printed with --fake-metrics, trimmed.
const SIM = `# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{model_name="perpetual-test/sim-7b"} 0.4
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="perpetual-test/sim-7b"} 12
vllm:num_requests_waiting{model_name="perpetual-test/sim-7b"} 3
vllm:num_requests_running_total_not_a_gauge{model_name="x"} 99
`;

describe('the Prometheus text parser', () => {
  it('reads labels with escapes, commas and braces in values', () => {
    expect(parseLabels('a="x",b="y\\"z",c="1,2}",d="line\\nbreak"')).toEqual({ a: 'x', b: 'y"z', c: '1,2}', d: 'line\nbreak' });
    expect(parseLabels('a="unterminated')).toBeUndefined();
    expect(parseLabels('a=bare')).toBeUndefined();
  });

  it('keeps only the wanted metrics, with or without labels and timestamps, and skips NaN', () => {
    const text = 'up 1\nwanted{x="1"} 2 1700000000000\nwanted 3\nwanted{x="2"} NaN\n# wanted 9\n';
    expect(parseSamples(text, new Set(['wanted']))).toEqual([
      { name: 'wanted', labels: { x: '1' }, value: 2 },
      { name: 'wanted', labels: {}, value: 3 },
    ]);
  });

  it('reads a vLLM replica', () => {
    expect(replicaReading(SIM)).toEqual({ running: 12, waiting: 3, kvCacheUsage: 0.4 });
  });

  it('falls back to vllm:gpu_cache_usage_perc when the newer KV gauge is absent', () => {
    expect(replicaReading('vllm:gpu_cache_usage_perc{model_name="m"} 0.7\nvllm:num_requests_running{model_name="m"} 1')).toEqual({
      running: 1,
      kvCacheUsage: 0.7,
    });
  });

  it('adds requests over engines and averages their KV use', () => {
    const text =
      'vllm:num_requests_running{engine="0"} 2\nvllm:num_requests_running{engine="1"} 3\nvllm:kv_cache_usage_perc{engine="0"} 0.2\nvllm:kv_cache_usage_perc{engine="1"} 0.6';
    const reading = replicaReading(text);
    expect(reading.running).toBe(5);
    expect(reading.kvCacheUsage).toBeCloseTo(0.4);
  });

  it('leaves out what a replica does not export', () => {
    expect(replicaReading('vllm:num_requests_running 1')).toEqual({ running: 1 });
  });

  it("reads a gateway's demand for the model names that point at one ModelServer", () => {
    const text = [
      'perpetual_inflight_requests{model="mistral"} 2',
      'perpetual_inflight_requests{model="mistral-alias"} 1',
      'perpetual_inflight_requests{model="other"} 50',
      'perpetual_queued_requests{model="mistral"} 4',
    ].join('\n');
    expect(gatewayReading(text, new Set(['mistral', 'mistral-alias']))).toEqual({ inFlight: 3, queued: 4 });
    expect(gatewayReading('', new Set(['mistral']))).toEqual({ inFlight: 0, queued: 0 });
  });
});
