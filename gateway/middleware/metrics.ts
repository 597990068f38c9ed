// Counts every response once it finishes. The endpoint label is the matched route's pattern
// (e.g. /v1/provider-keys/:provider), never the raw path, so ids in URLs cannot explode it.
import type { NextFunction, Request, Response } from 'express';
import { labelledChildren, type GatewayMetrics } from '../observability/metrics.ts';
import { startedAtOf } from './request-id.ts';

// Base URL and route pattern joined once per pair (both come from the route table: a bounded set).
const endpoints = labelledChildren((baseUrl, path) => `${baseUrl}${path}`);

export function endpointLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? endpoints(req.baseUrl, route.path) : 'unmatched';
}

export function recordMetrics(metrics: Pick<GatewayMetrics, 'requests' | 'requestDuration' | 'errors'>) {
  // Every label is bounded: route patterns, the methods Node's parser accepts, status codes.
  const requests = labelledChildren((endpoint, method, status) => metrics.requests.labels({ endpoint, method, status }));
  const durations = labelledChildren((endpoint) => metrics.requestDuration.labels({ endpoint }));
  const statuses = new Map<number, string>();
  const statusLabel = (code: number): string => {
    let label = statuses.get(code);
    if (label === undefined) {
      label = String(code);
      statuses.set(code, label);
    }
    return label;
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    res.on('finish', () => {
      const endpoint = endpointLabel(req);
      requests(endpoint, req.method, statusLabel(res.statusCode)).inc();
      durations(endpoint).observe((performance.now() - startedAtOf(res)) / 1000);
      if (res.statusCode >= 400)
        metrics.errors.inc({ endpoint, type: typeof res.locals.errorType === 'string' ? res.locals.errorType : 'unknown' });
    });
    next();
  };
}
