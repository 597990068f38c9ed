// Gateway API keys, managed by their owner: create (the key is shown once), list, revoke.
// Authenticated by the user's Supabase session (a JWT), not by an API key: a leaked API key must
// not be able to mint more keys. A revocation takes effect on every replica within milliseconds.
import { Router, type Request, type Response } from 'express';
import { issueApiKey } from '../auth/api-key.ts';
import { limitsForTier, type GatewayConfig } from '../config.ts';
import { notFound } from '../errors.ts';
import { principalOf } from '../middleware/authenticate.ts';
import type { ApiKey } from '../db/api-keys.ts';
import type { Store } from '../store.ts';
import { pathParam } from './path-param.ts';
import { checkLabel } from './text-field.ts';

export function apiKeyJson(key: ApiKey): Record<string, unknown> {
  return {
    id: key.id,
    object: 'api_key',
    name: key.name,
    prefix: key.prefix,
    tier: key.tier,
    is_active: key.isActive,
    created_at: key.createdAt,
    last_used: key.lastUsed,
    revoked_at: key.revokedAt,
  };
}

/** The optional `name` of a new key (used by the admin API too). */
export function keyNameFrom(body: unknown): string | null {
  const name = (body as { name?: unknown } | undefined)?.name;
  if (name === undefined || name === null) return null;
  return checkLabel(name, 'name', 100);
}

export interface ApiKeyRouteDeps {
  store: Store;
  config: Pick<GatewayConfig, 'tiers' | 'defaultLimits'>;
  revoked: (hash: string) => Promise<void>;
}

/** Issues a key for a user (also used by the admin API). */
export async function createKeyFor(deps: ApiKeyRouteDeps, user: { id: string; tier: string }, name: string | null): Promise<Record<string, unknown>> {
  const issued = issueApiKey();
  const limits = limitsForTier(deps.config, user.tier);
  const view = await deps.store.insertApiKey({ userId: user.id, keyHash: issued.hash, prefix: issued.displayPrefix, name, tier: user.tier, limits: { perMinute: limits.requestsPerMinute, perDay: limits.requestsPerDay } });
  return { ...apiKeyJson(view), key: issued.key, warning: 'Store this key now: it is shown only once.' };
}

export function apiKeysRouter(deps: ApiKeyRouteDeps): Router {
  const router = Router();
  router.post('/', async (req: Request, res: Response) => {
    const { userId } = principalOf(res);
    const user = await deps.store.getUser(userId);
    if (!user) throw notFound('Your account has no Perpetual user yet: ask the platform team to create it (POST /admin/users).', 'user_not_found');
    res.status(201).json(await createKeyFor(deps, user, keyNameFrom(req.body)));
  });
  router.get('/', async (_req: Request, res: Response) => {
    const keys = await deps.store.listApiKeys(principalOf(res).userId);
    res.json({ object: 'list', data: keys.map(apiKeyJson) });
  });
  router.delete('/:id', async (req: Request, res: Response) => {
    const hash = await deps.store.revokeApiKey(principalOf(res).userId, pathParam(req, 'id'));
    if (!hash) throw notFound('No such API key among yours.', 'api_key_not_found', 'id');
    await deps.revoked(hash);
    res.json({ id: pathParam(req, 'id'), object: 'api_key', revoked: true });
  });
  return router;
}
