import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { describe, expect, it, vi } from 'vitest';
import { recordMetrics } from '../middleware/metrics.ts';
import { labelledChildren, makeMetrics } from './metrics.ts';

describe('labelledChildren', () => {
  it('makes one child per combination of label values and hands the same one back after', () => {
    const make = vi.fn((a: string, b: string, c: string) => ({ labels: [a, b, c] }));
    const children = labelledChildren(make);
    const first = children('m', 'input');
    expect(children('m', 'input')).toBe(first);
    expect(children('m', 'output')).not.toBe(first);
    expect(children('m')).not.toBe(first);
    expect(children('m', 'input', 'x')).not.toBe(first);
    expect(make.mock.calls).toEqual([
      ['m', 'input', ''],
      ['m', 'output', ''],
      ['m', '', ''],
      ['m', 'input', 'x'],
    ]);
  });
});

/** A finished response of an Express route, as recordMetrics sees it. */
function finish(middleware: ReturnType<typeof recordMetrics>, status: number, method = 'POST'): void {
  const res = Object.assign(new EventEmitter(), { statusCode: status, locals: { startedAt: performance.now() } });
  const req = { method, baseUrl: '/v1', route: { path: '/chat/completions' } };
  middleware(req as unknown as Request, res as unknown as Response, () => undefined);
  res.emit('finish');
}

describe('recordMetrics', () => {
  it('binds each label combination once and counts every response under the same names and labels', async () => {
    const metrics = makeMetrics();
    const labels = vi.spyOn(metrics.requests, 'labels');
    const middleware = recordMetrics(metrics);
    for (let i = 0; i < 3; i++) finish(middleware, 200);
    finish(middleware, 429);
    expect(labels).toHaveBeenCalledTimes(2);
    const requests = await metrics.registry.getSingleMetricAsString('perpetual_requests_total');
    expect(requests).toContain('perpetual_requests_total{endpoint="/v1/chat/completions",method="POST",status="200"} 3');
    expect(requests).toContain('perpetual_requests_total{endpoint="/v1/chat/completions",method="POST",status="429"} 1');
    const durations = await metrics.registry.getSingleMetricAsString('perpetual_request_duration_seconds');
    expect(durations).toContain('perpetual_request_duration_seconds_count{endpoint="/v1/chat/completions"} 4');
    expect(await metrics.registry.getSingleMetricAsString('perpetual_errors_total')).toContain(
      'perpetual_errors_total{endpoint="/v1/chat/completions",type="unknown"} 1',
    );
  });
});
