// The server span of every request, continuing the caller's W3C trace context (traceparent), and
// spans around the middleware worth seeing in a trace (authentication, rate limits). The server
// span is named and labelled once the response finished, from the matched route's pattern (never
// the raw path, which can hold ids), as the metrics are.
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { failSpan, tracer } from '../observability/tracing.ts';
import { endpointLabel } from './metrics.ts';

export function traceRequests(req: Request, res: Response, next: NextFunction): void {
  const parent = propagation.extract(context.active(), req.headers);
  const span = tracer.startSpan(req.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } }, parent);
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    const route = endpointLabel(req);
    span.updateName(`${req.method} ${route}`);
    span.setAttribute('http.route', route);
    span.setAttribute('http.response.status_code', res.statusCode);
    // A client that went away before the answer ended is not a server error.
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (!res.writableFinished) span.setAttribute('perpetual.client_closed', true);
    span.end();
  };
  res.once('finish', end);
  res.once('close', end);
  context.with(trace.setSpan(parent, span), next);
}

/**
 * `handler` in a span named `name`, ended when it passes the request on (or fails it). What runs
 * after it runs in the request's span again, not in this one: the rate limit is no child of the
 * authentication. `until`: work the handler passed on unfinished (a rate limit decided beside the
 * route), which the span lasts until instead.
 */
export function traced(name: string, handler: RequestHandler, until?: (res: Response) => Promise<unknown> | undefined): RequestHandler {
  return (req, res, next) => {
    const parent = context.active();
    const span = tracer.startSpan(name, {}, parent);
    let ended = false;
    const done = (err?: unknown): void => {
      if (!ended) {
        ended = true;
        const unfinished = err === undefined ? until?.(res) : undefined;
        if (unfinished)
          unfinished.then(
            () => {
              span.end();
            },
            (reason: unknown) => {
              failSpan(span, reason);
              span.end();
            },
          );
        else {
          if (err !== undefined && err !== 'route' && err !== 'router') failSpan(span, err);
          span.end();
        }
      }
      context.with(parent, () => {
        next(err);
      });
    };
    // Express 5 turns a rejected handler into next(err); called directly here, this must too.
    const returned: unknown = context.with(trace.setSpan(parent, span), () => handler(req, res, done));
    if (returned instanceof Promise) returned.catch(done);
  };
}
