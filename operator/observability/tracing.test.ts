import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inReconcileSpan, samplerRatio, startTracing, type Tracing } from './tracing.ts';

describe('samplerRatio', () => {
  it('keeps every trace by default, and refuses a ratio outside 0..1 naming the variable', () => {
    expect(samplerRatio({})).toBe(1);
    expect(samplerRatio({ OTEL_TRACES_SAMPLER_ARG: '0.25' })).toBe(0.25);
    expect(() => samplerRatio({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => samplerRatio({ OTEL_TRACES_SAMPLER_ARG: 'half' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
  });
});

describe('inReconcileSpan', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  const object = { controller: 'perpetualdeployment', kind: 'PerpetualDeployment', namespace: 'prod', name: 'app' };
  const outcome = (result: { requeueAfterMs?: number }) => (result.requeueAfterMs ? ('requeue' as const) : ('success' as const));

  beforeAll(() => {
    tracing = startTracing({ serviceName: 'perpetual-operator', serviceVersion: 'test', exporter });
  });
  afterAll(async () => {
    await tracing.shutdown();
  });

  async function spans(): Promise<{ name: string; attributes: Record<string, unknown>; status: { code: number; message?: string } }[]> {
    await tracing.flush();
    return exporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes, status: s.status }));
  }

  it('records one span per reconcile with the object and the result', async () => {
    exporter.reset();
    await inReconcileSpan(object, outcome, () => Promise.resolve({}));
    await inReconcileSpan(object, outcome, () => Promise.resolve({ requeueAfterMs: 1000 }));
    const recorded = await spans();
    expect(recorded.map((s) => s.name)).toEqual(['reconcile PerpetualDeployment', 'reconcile PerpetualDeployment']);
    expect(recorded[0]?.attributes).toEqual({
      'perpetual.controller': 'perpetualdeployment',
      'k8s.resource.kind': 'PerpetualDeployment',
      'k8s.namespace.name': 'prod',
      'k8s.resource.name': 'app',
      'perpetual.reconcile.result': 'success',
    });
    expect(recorded[1]?.attributes['perpetual.reconcile.result']).toBe('requeue');
  });

  it('marks a failed reconcile as an error with its message, and rethrows', async () => {
    exporter.reset();
    await expect(inReconcileSpan(object, outcome, () => Promise.reject(new Error('secret "db" not found')))).rejects.toThrow('not found');
    const [span] = await spans();
    expect(span?.attributes['perpetual.reconcile.result']).toBe('error');
    expect(span?.status).toEqual({ code: 2, message: 'secret "db" not found' });
  });
});
