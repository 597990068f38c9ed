// The HPA and KEDA ScaledObject a ModelServer gets for `engine: hpa | keda`: golden YAML and invariants.
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { defaultedModelServer } from '../../api/v1alpha1/defaults.ts';
import { autoscaled } from '../../api/v1alpha1/testdata/golden-specs.ts';
import type { ScaledObject } from '../../resources/scaled-object.ts';
import { DEFAULT_PROMETHEUS_ADDRESS, quantity, vllmQuery } from './autoscaling.ts';
import { desiredObjects } from './desired.ts';

const server = (engine: string, extra: Record<string, unknown> = {}, annotations?: Record<string, string>) => {
  const ms = defaultedModelServer({ name: 'llama', namespace: 'ml' }, autoscaled(engine, extra));
  return annotations ? { ...ms, metadata: { ...ms.metadata, annotations } } : ms;
};

function only(objects: unknown[], kind: string): unknown {
  const found = objects.filter((o) => (o as { kind: string }).kind === kind);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('engine hpa', () => {
  const objects = desiredObjects(server('hpa'));
  const hpa = only(objects, 'HorizontalPodAutoscaler') as V2HorizontalPodAutoscaler;

  it('matches the golden YAML', async () => {
    await expect(stringify(hpa)).toMatchFileSnapshot('testdata/hpa.golden.yaml');
  });

  it("targets the ModelServer's scale subresource with a Pods metric named after the chosen metric", () => {
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'perpetual.ai/v1alpha1', kind: 'ModelServer', name: 'llama' });
    expect(hpa.spec.metrics).toEqual([
      { type: 'Pods', pods: { metric: { name: 'vllm_num_requests_running' }, target: { type: 'AverageValue', averageValue: '4' } } },
    ]);
    expect(hpa.spec.behavior?.scaleDown?.stabilizationWindowSeconds).toBe(120);
  });

  it('starts at one replica: the HPA cannot scale to zero without a feature gate', () => {
    expect(hpa.spec.minReplicas).toBe(1);
    expect(hpa.spec.maxReplicas).toBe(6);
  });

  it('writes fractional targets as quantities', () => {
    expect(quantity(0.8)).toBe('800m');
    expect(quantity(2)).toBe('2');
    const kv = only(
      desiredObjects(server('hpa', { metric: 'kvCacheUtilization', target: 0.75 })),
      'HorizontalPodAutoscaler',
    ) as V2HorizontalPodAutoscaler;
    expect(kv.spec.metrics?.[0]?.pods).toEqual({
      metric: { name: 'vllm_kv_cache_usage_perc' },
      target: { type: 'AverageValue', averageValue: '750m' },
    });
  });
});

describe('engine keda', () => {
  it('makes nothing while KEDA is not installed', () => {
    expect(desiredObjects(server('keda')).map((o) => o.kind)).toEqual(['Deployment', 'Service', 'Service']);
  });

  const objects = desiredObjects(server('keda'), { kedaInstalled: true, gatewayModelNames: ['llama', 'llama.alias'] });
  const scaledObject = only(objects, 'ScaledObject') as ScaledObject;

  it('matches the golden YAML', async () => {
    await expect(stringify(scaledObject)).toMatchFileSnapshot('testdata/keda.golden.yaml');
  });

  it('scales the ModelServer on a Prometheus query of vLLM, and wakes it on the gateway queue', () => {
    const spec = scaledObject.spec;
    expect(spec?.scaleTargetRef).toEqual({ apiVersion: 'perpetual.ai/v1alpha1', kind: 'ModelServer', name: 'llama' });
    expect(spec).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 6, cooldownPeriod: 120 });
    expect(spec?.triggers[0]?.metadata).toEqual({
      serverAddress: DEFAULT_PROMETHEUS_ADDRESS,
      query: 'sum(vllm:num_requests_running{namespace="ml",model_name="llama-8b"})',
      threshold: '4',
    });
    expect(spec?.triggers[1]?.metadata).toMatchObject({
      query: 'sum(perpetual_queued_requests{namespace="ml",model=~"llama|llama\\\\.alias"})',
      activationThreshold: '0',
    });
  });

  it('queries the Prometheus the annotation names', () => {
    const annotated = desiredObjects(server('keda', {}, { 'perpetual.ai/prometheus-address': 'http://prom.obs.svc:9090' }), {
      kedaInstalled: true,
      gatewayModelNames: [],
    });
    const so = only(annotated, 'ScaledObject') as ScaledObject;
    expect(so.spec?.triggers.map((t) => t.metadata.serverAddress)).toEqual(['http://prom.obs.svc:9090']);
  });

  it('falls back to the older KV-cache gauge in PromQL', () => {
    expect(vllmQuery('kvCacheUtilization', 'ml', 'm')).toBe(
      'sum(vllm:kv_cache_usage_perc{namespace="ml",model_name="m"}) or sum(vllm:gpu_cache_usage_perc{namespace="ml",model_name="m"})',
    );
  });
});

describe('engine builtin', () => {
  it('makes no autoscaler object: the operator scales itself', () => {
    expect(desiredObjects(server('builtin'), { kedaInstalled: true, gatewayModelNames: ['llama'] }).map((o) => o.kind)).toEqual([
      'Deployment',
      'Service',
      'Service',
    ]);
  });
});
