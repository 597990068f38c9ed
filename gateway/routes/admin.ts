// The platform team's API (admin token from the operator-managed Secret): users, tiers, keys
// (issue with expiry and scopes, list, rotate, revoke), a user's spend report, the audit log, and
// deleting a user with everything they left behind (the guide's GDPR requirement). Every change
// is recorded in the audit log.
import { Router, type Request, type Response } from 'express';
import type { AuditRecord } from '../db/audit-log.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { pathParam } from './path-param.ts';
import type { User } from '../db/users.ts';
import type { Store } from '../store.ts';
import { apiKeyJson, createKeyFor, keyRequestFrom, revokeKeyOf, rotateKeyOf, type ApiKeyRouteDeps } from './api-keys.ts';
import { usageReportRoute } from './usage.ts';
import { checkLabel } from './text-field.ts';
import { bodyCheck } from '../protocols/body-check.ts';
import { CreateUserRequest, EMAIL_MAX_LENGTH, UpdateUserRequest } from '../protocols/perpetual/request-schemas.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import { actorOf, recordAudit } from '../audit/record.ts';
import { requestIdOf } from '../middleware/request-id.ts';
import { addLimitRoutes } from './limits.ts';

const checkCreateUser = bodyCheck<{ email: string; tier?: string }>(CreateUserRequest, { path: 'dots' });
const checkUpdateUser = bodyCheck<{ tier: string }>(UpdateUserRequest, { path: 'dots' });

function userJson(user: User): Record<string, unknown> {
  return {
    id: user.id,
    object: 'user',
    email: user.email,
    tier: user.tier,
    created_at: user.createdAt,
    total_requests: user.totalRequests,
    total_tokens: user.totalTokens,
    current_balance_usd: user.currentBalanceUsd,
  };
}

async function existingUser(store: Store, id: string | undefined): Promise<User> {
  const user = id ? await store.getUser(id) : undefined;
  if (!user) throw notFound(`No user with id "${id ?? ''}".`, 'user_not_found', 'id');
  return user;
}

export interface AdminRouteDeps extends ApiKeyRouteDeps {
  /** Drops what other stores hold for a deleted user (memories, caches); returns counts. */
  forgetUser?: (userId: string) => Promise<Record<string, number>>;
}

/**
 * The GDPR erasure: memories first (the vector store is the one that can be down), then every
 * PostgreSQL row in one statement (usage rows anonymised instead when USAGE_ON_USER_DELETE says
 * so), then the user's keys evicted from every replica's cache.
 */
export async function deleteUserEverywhere(deps: AdminRouteDeps, res: Response, id: string): Promise<Record<string, unknown>> {
  const elsewhere = deps.forgetUser ? await deps.forgetUser(id) : {};
  const result = await deps.store.deleteUser(id);
  if (result.counts.users === 0 && Object.values(elsewhere).every((n) => n === 0))
    throw notFound(`No user with id "${id}".`, 'user_not_found', 'id');
  await Promise.all(result.keyHashes.map((hash) => deps.revoked(hash)));
  // The erasure's own row names the user by their pseudonym only, as every older row now does.
  const pseudonym = result.pseudonym ?? 'erased';
  await deps.store.recordAudit({
    actor: actorOrPseudonym(res, id, pseudonym),
    action: 'user.erased',
    targetUser: pseudonym,
    requestId: requestIdOf(res) || null,
    details: { removed: { ...result.counts, ...elsewhere } },
  });
  return { id, object: 'user', deleted: true, removed: { ...result.counts, ...elsewhere } };
}

/** A user erasing themselves is no longer named, even as the actor. */
function actorOrPseudonym(res: Response, erased: string, pseudonym: string): string {
  const actor = actorOf(res);
  return actor === erased ? pseudonym : actor;
}

function auditJson(row: AuditRecord): Record<string, unknown> {
  return {
    id: row.id,
    object: 'audit_event',
    at: row.at,
    actor: row.actor,
    action: row.action,
    target_user: row.targetUser,
    target: row.target,
    request_id: row.requestId,
    details: row.details,
  };
}

const AUDIT_CURSOR = /^[1-9][0-9]{0,17}$/;

/** GET /admin/audit?limit=&cursor=&user=&action=: newest first; `next_cursor` fetches the page after. */
async function auditPage(store: Store, query: Request['query']): Promise<Record<string, unknown>> {
  const limitValue = query.limit ?? '100';
  const limit = typeof limitValue === 'string' ? Number(limitValue) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw badRequest('"limit" must be an integer from 1 to 1000.', 'invalid_value', 'limit');
  const cursor = query.cursor;
  if (cursor !== undefined && (typeof cursor !== 'string' || !AUDIT_CURSOR.test(cursor)))
    throw badRequest('"cursor" must be the next_cursor of a previous page.', 'invalid_value', 'cursor');
  const filter = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > 200)
      throw badRequest(`"${name}" must be 1 to 200 characters.`, 'invalid_value', name);
    return value;
  };
  const user = filter('user');
  const action = filter('action');
  const rows = await store.listAudit({
    limit: limit + 1,
    ...(cursor ? { before: cursor } : {}),
    ...(user ? { user } : {}),
    ...(action ? { action } : {}),
  });
  const page = rows.slice(0, limit);
  const more = rows.length > limit;
  return { object: 'list', data: page.map(auditJson), has_more: more, next_cursor: more ? (page.at(-1)?.id ?? null) : null };
}

export function adminRouter(deps: AdminRouteDeps): Router {
  const router = Router();
  router.post('/users', async (req: Request, res: Response) => {
    const body = checkCreateUser(req.body ?? {});
    const email = checkLabel(body.email, 'email', EMAIL_MAX_LENGTH);
    const user = await deps.store.createUser(email, body.tier ?? 'free').catch((err: unknown) => {
      throw isUniqueViolation(err)
        ? conflict(`A user with email "${email}" already exists; GET /admin/users/{id} or use another email.`, 'email_taken', 'email')
        : err;
    });
    await recordAudit(deps.store, res, { action: 'user.created', targetUser: user.id, details: { email: user.email, tier: user.tier } });
    res.status(201).json(userJson(user));
  });
  router.get('/users/:id', async (req: Request, res: Response) => {
    res.json(userJson(await existingUser(deps.store, pathParam(req, 'id'))));
  });
  router.patch('/users/:id', async (req: Request, res: Response) => {
    const { tier } = checkUpdateUser(req.body ?? {});
    const user = await deps.store.setTier(pathParam(req, 'id'), tier);
    if (!user) throw notFound(`No user with id "${pathParam(req, 'id')}".`, 'user_not_found', 'id');
    await recordAudit(deps.store, res, { action: 'user.tier_changed', targetUser: user.id, details: { tier } });
    res.json(userJson(user));
  });
  router.post('/users/:id/keys', async (req: Request, res: Response) => {
    const request = keyRequestFrom(req.body);
    const user = await existingUser(deps.store, pathParam(req, 'id'));
    res.status(201).json(await createKeyFor(deps, res, user, request));
  });
  router.get('/users/:id/keys', async (req: Request, res: Response) => {
    const user = await existingUser(deps.store, pathParam(req, 'id'));
    res.json({ object: 'list', data: (await deps.store.listApiKeys(user.id)).map(apiKeyJson) });
  });
  router.post('/users/:id/keys/:keyId/rotate', async (req: Request, res: Response) => {
    const user = await existingUser(deps.store, pathParam(req, 'id'));
    res.status(201).json(await rotateKeyOf(deps, res, { userId: user.id, keyId: pathParam(req, 'keyId') }, req.body));
  });
  router.delete('/users/:id/keys/:keyId', async (req: Request, res: Response) => {
    const user = await existingUser(deps.store, pathParam(req, 'id'));
    res.json(await revokeKeyOf(deps, res, user.id, pathParam(req, 'keyId')));
  });
  router.get('/users/:id/usage', async (req: Request, res: Response) => {
    const user = await existingUser(deps.store, pathParam(req, 'id'));
    await usageReportRoute(deps.store, user.id, req, res);
  });
  // Budgets and token limits of a user, and of one of their keys.
  addLimitRoutes(router, '/users/:id/limits', deps);
  addLimitRoutes(router, '/users/:id/keys/:keyId/limits', deps);
  router.get('/audit', async (req: Request, res: Response) => {
    res.json(await auditPage(deps.store, req.query));
  });
  router.delete('/users/:id', async (req: Request, res: Response) => {
    res.json(await deleteUserEverywhere(deps, res, pathParam(req, 'id')));
  });
  return router;
}
