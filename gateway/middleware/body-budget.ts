// Request bodies are parsed whole (express.json), and each one may be up to
// MAX_REQUEST_BODY_BYTES: 16 MiB by default, so that a 10 MB phone photo sent as a base64 data URL
// fits. Many such bodies at once could exhaust the process's memory, so the gateway keeps a
// budget for all bodies it holds (MAX_BUFFERED_BODY_BYTES): a request whose body would exceed it
// is turned away before a byte is read, with a 503 and Retry-After, and a body's share is given
// back when its response ends (the parsed body lives until then). Bodies that do not say their
// length (chunked) are counted at the per-request maximum.
import type { NextFunction, Request, Response } from 'express';
import { unavailable } from '../errors.ts';

export interface BodyBudget {
  (req: Request, res: Response, next: NextFunction): void;
  /** Bytes currently reserved, for tests and metrics. */
  inUse(): number;
}

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

export function bodyBudget(options: { totalBytes: number; perRequestBytes: number }): BodyBudget {
  let inUse = 0;
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (BODYLESS.has(req.method)) {
      next();
      return;
    }
    const declared = Number(req.get('content-length'));
    // An oversized declared length is refused by the parser with a 413; count no more than the maximum.
    const share = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, options.perRequestBytes) : options.perRequestBytes;
    if (share > 0 && inUse + share > options.totalBytes) {
      next(
        unavailable(
          'The gateway is holding as many request bodies as its memory budget allows (MAX_BUFFERED_BODY_BYTES). Retry in a second.',
          'gateway_busy',
          { 'Retry-After': '1' },
        ),
      );
      return;
    }
    inUse += share;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      inUse -= share;
    };
    res.once('finish', release);
    res.once('close', release);
    next();
  };
  return Object.assign(middleware, { inUse: () => inUse });
}
