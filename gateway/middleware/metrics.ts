// Counts every response once it finishes. The endpoint label is the matched route's pattern
// (e.g. /v1/provider-keys/:provider), never the raw path, so ids in URLs cannot explode it.
import type { NextFunction, Request, Response } from 'express';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { startedAtOf } from './request-id.ts';

export function endpointLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? `${req.baseUrl}${route.path}` : 'unmatched';
}

export function recordMetrics(metrics: GatewayMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.on('finish', () => {
      const endpoint = endpointLabel(req);
      metrics.requests.inc({ endpoint, method: req.method, status: String(res.statusCode) });
      metrics.requestDuration.observe({ endpoint }, (performance.now() - startedAtOf(res)) / 1000);
      if (res.statusCode >= 400)
        metrics.errors.inc({ endpoint, type: typeof res.locals.errorType === 'string' ? res.locals.errorType : 'unknown' });
    });
    next();
  };
}
