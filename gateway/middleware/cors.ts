// CORS for browser apps that call the gateway directly (CORS_ALLOWED_ORIGINS; off by default, as
// most deployments sit behind a server-side app). Credentials are API keys in headers, never
// cookies, so no Access-Control-Allow-Credentials. Preflights reflect the headers asked for: the
// official SDKs send their own (x-stainless-*, anthropic-version, anthropic-dangerous-direct-
// browser-access) and a fixed list would break the next one they add. Responses expose the headers
// a client acts on: request id, retry advice, rate limits, and the gateway's own x-perpetual-*.
// The `cors` package (the one express documents) does the protocol; this file only configures it.
import cors from 'cors';
import type { RequestHandler } from 'express';

export const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'x-should-retry',
  ...['limit', 'remaining', 'reset'].flatMap((what) => [`x-ratelimit-${what}-requests`, `x-ratelimit-${what}-requests-day`]),
  'x-perpetual-model',
  'x-perpetual-memory',
  'x-perpetual-memory-ids',
  'x-perpetual-memory-scope',
  'x-perpetual-memory-tokens',
  'x-perpetual-memory-top-k',
  'x-perpetual-retrieval-ms',
  'x-perpetual-overhead-ms',
  'x-perpetual-held-ms',
];

/** The CORS middleware for the configured origins (`*` allows any). */
export function corsFor(origins: readonly string[]): RequestHandler {
  return cors({
    origin: origins.includes('*') ? '*' : [...origins],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
}
