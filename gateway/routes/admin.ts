// The platform team's API (admin token from the operator-managed Secret): users, tiers, keys,
// and deleting a user with everything they left behind (the guide's GDPR requirement).
import { Router, type Request, type Response } from 'express';
import { TIERS } from '../config.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { pathParam } from './path-param.ts';
import type { User } from '../db/users.ts';
import type { Store } from '../store.ts';
import { createKeyFor, keyNameFrom, type ApiKeyRouteDeps } from './api-keys.ts';
import { checkLabel } from './text-field.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** RFC 5321's limit on a forward path. */
const EMAIL_MAX_LENGTH = 254;
const TIER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

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

function tierFrom(body: Record<string, unknown>, fallback?: string): string {
  const tier = body.tier ?? fallback;
  if (typeof tier !== 'string' || !TIER_NAME.test(tier)) {
    throw badRequest(`"tier" must be ${TIERS.join(', ')} or another lowercase tier name.`, 'invalid_tier', 'tier');
  }
  return tier;
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
export async function deleteUserEverywhere(deps: AdminRouteDeps, id: string): Promise<Record<string, unknown>> {
  const elsewhere = deps.forgetUser ? await deps.forgetUser(id) : {};
  const result = await deps.store.deleteUser(id);
  if (result.counts.users === 0 && Object.values(elsewhere).every((n) => n === 0)) throw notFound(`No user with id "${id}".`, 'user_not_found', 'id');
  await Promise.all(result.keyHashes.map((hash) => deps.revoked(hash)));
  return { id, object: 'user', deleted: true, removed: { ...result.counts, ...elsewhere } };
}

export function adminRouter(deps: AdminRouteDeps): Router {
  const router = Router();
  router.post('/users', async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const email = checkLabel(body.email, 'email', EMAIL_MAX_LENGTH);
    if (!EMAIL.test(email)) throw badRequest('"email" must be an email address.', 'invalid_email', 'email');
    const user = await deps.store.createUser(email, tierFrom(body, 'free')).catch((err: unknown) => {
      throw isUniqueViolation(err) ? conflict(`A user with email "${email}" already exists; GET /admin/users/{id} or use another email.`, 'email_taken', 'email') : err;
    });
    res.status(201).json(userJson(user));
  });
  router.get('/users/:id', async (req: Request, res: Response) => {
    res.json(userJson(await existingUser(deps.store, pathParam(req, 'id'))));
  });
  router.patch('/users/:id', async (req: Request, res: Response) => {
    const tier = tierFrom((req.body ?? {}) as Record<string, unknown>);
    const user = await deps.store.setTier(pathParam(req, 'id'), tier);
    if (!user) throw notFound(`No user with id "${pathParam(req, 'id')}".`, 'user_not_found', 'id');
    res.json(userJson(user));
  });
  router.post('/users/:id/keys', async (req: Request, res: Response) => {
    const user = await existingUser(deps.store, pathParam(req, 'id'));
    res.status(201).json(await createKeyFor(deps, user, keyNameFrom(req.body)));
  });
  router.delete('/users/:id', async (req: Request, res: Response) => {
    res.json(await deleteUserEverywhere(deps, pathParam(req, 'id')));
  });
  return router;
}
