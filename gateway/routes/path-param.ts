import type { Request } from 'express';

/** A named path segment as one string (express 5 types wildcards as arrays; ours never are). */
export function pathParam(req: Request, name: string): string {
  const value: unknown = req.params[name];
  return typeof value === 'string' ? value : '';
}
