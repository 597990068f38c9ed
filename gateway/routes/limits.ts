// Budgets and token limits of a user and of one API key, for the platform team (admin API):
//   GET    /admin/users/{id}/limits                 what is set (null: inherited)
//   PATCH  /admin/users/{id}/limits                 set fields; null removes one
//   DELETE /admin/users/{id}/limits                 remove all
// and the same under /admin/users/{id}/keys/{keyId}/limits. Every change is recorded in the audit
// log (budget.changed, with the values before and after) and evicts the affected keys from every
// replica's key cache (the overrides are cached with the key), so the next request anywhere sees
// it: within milliseconds through the invalidation channel, and at worst after API_KEY_CACHE_MS
// when that message is lost.
import type { Request, Response, Router } from 'express';
import { recordAudit } from '../audit/record.ts';
import { CLEAR_ALL, limitChangesFrom, limitsJson } from '../budget/limit-changes.ts';
import type { LimitOverrides } from '../budget/limits.ts';
import type { OverrideTarget } from '../db/limit-overrides.ts';
import { notFound } from '../errors.ts';
import type { Store } from '../store.ts';
import { pathParam } from './path-param.ts';

export interface LimitRouteDeps {
  store: Store;
  /** Evicts one API key hash from every replica's key cache. */
  revoked: (hash: string) => Promise<void>;
}

function targetOf(req: Request): OverrideTarget {
  const keyId = req.params.keyId === undefined ? undefined : pathParam(req, 'keyId');
  return { userId: pathParam(req, 'id'), ...(keyId === undefined ? {} : { keyId }) };
}

function missing(target: OverrideTarget): Error {
  return target.keyId
    ? notFound(`User "${target.userId}" has no API key "${target.keyId}".`, 'api_key_not_found', 'keyId')
    : notFound(`No user with id "${target.userId}".`, 'user_not_found', 'id');
}

function body(target: OverrideTarget, overrides: LimitOverrides): Record<string, unknown> {
  return { object: 'limits', user_id: target.userId, key_id: target.keyId ?? null, ...limitsJson(overrides) };
}

async function change(deps: LimitRouteDeps, req: Request, res: Response, changes: Partial<LimitOverrides>): Promise<void> {
  const target = targetOf(req);
  const before = await deps.store.getLimitOverrides(target);
  if (!before) throw missing(target);
  const result = await deps.store.setLimitOverrides(target, changes);
  if (!result) throw missing(target);
  await Promise.all(result.keyHashes.map((hash) => deps.revoked(hash)));
  await recordAudit(deps.store, res, {
    action: 'budget.changed',
    targetUser: target.userId,
    target: target.keyId ?? null,
    details: { scope: target.keyId ? 'key' : 'user', before: limitsJson(before), after: limitsJson(result.overrides) },
  });
  res.json(body(target, result.overrides));
}

/**
 * GET, PATCH and DELETE of one target's limits at `path` (a pattern with :id, and :keyId for a key),
 * on the admin router itself rather than a router mounted at that pattern: a mounted router's
 * baseUrl is the path as sent, ids included, and the endpoint label of the request metrics (one
 * series per label) would grow with every user.
 */
export function addLimitRoutes(router: Router, path: string, deps: LimitRouteDeps): void {
  router.get(path, async (req: Request, res: Response) => {
    const target = targetOf(req);
    const overrides = await deps.store.getLimitOverrides(target);
    if (!overrides) throw missing(target);
    res.json(body(target, overrides));
  });
  router.patch(path, async (req: Request, res: Response) => {
    await change(deps, req, res, limitChangesFrom(req.body));
  });
  router.delete(path, async (req: Request, res: Response) => {
    await change(deps, req, res, CLEAR_ALL);
  });
}
