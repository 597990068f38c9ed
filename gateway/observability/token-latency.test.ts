// The token clock against the real histograms, on a clock the test moves.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeMetrics } from './metrics.ts';
import { tokenClocks } from './token-latency.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

async function histogram(
  metrics: ReturnType<typeof makeMetrics>,
  name: string,
): Promise<{ labels: Record<string, unknown>; count: number; sum: number }[]> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { metricName?: string; labels: Record<string, unknown>; value: number }[];
  return values
    .filter((v) => v.metricName === `${name}_count`)
    .map((v) => ({
      labels: { model: v.labels.model, endpoint: v.labels.endpoint },
      count: v.value,
      sum: values.find((s) => s.metricName === `${name}_sum` && s.labels.model === v.labels.model)?.value ?? NaN,
    }));
}

describe('the token clock', () => {
  it('observes the first token from the request start and each next one from the token before it', async () => {
    const metrics = makeMetrics();
    let now = 1000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const clock = tokenClocks(metrics, new Set(['llama']))('llama', '/v1/chat/completions', 250);
    clock.token();
    now = 1020;
    clock.token();
    now = 1060;
    clock.token();
    const labels = { model: 'llama', endpoint: '/v1/chat/completions' };
    expect(await histogram(metrics, 'perpetual_time_to_first_token_seconds')).toEqual([{ labels, count: 1, sum: 0.75 }]);
    const between = await histogram(metrics, 'perpetual_inter_token_latency_seconds');
    expect(between).toHaveLength(1);
    expect(between[0]?.labels).toEqual(labels);
    expect(between[0]?.count).toBe(2);
    expect(between[0]?.sum).toBeCloseTo(0.06, 9);
  });

  it('labels a model outside the configured list "other", and a stream of one token has no inter-token observation', async () => {
    const metrics = makeMetrics();
    tokenClocks(metrics, new Set(['llama']))('someone-elses-model', '/v1/messages', performance.now()).token();
    expect((await histogram(metrics, 'perpetual_time_to_first_token_seconds')).map((h) => [h.labels.model, h.count])).toEqual([
      ['other', 1],
    ]);
    expect(await histogram(metrics, 'perpetual_inter_token_latency_seconds')).toEqual([]);
  });
});
