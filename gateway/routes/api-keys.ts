// Gateway API keys, managed by their owner: create (the key is shown once, optionally with an
// expiry and scopes), list, rotate (the old key keeps working for a grace period), revoke.
// Authenticated by the user's Supabase session (a JWT), not by an API key: a leaked API key must
// not be able to mint more keys. A revocation or rotation takes effect on every replica within
// milliseconds; an expiry needs no message at all (every replica compares it with its clock).
// Every change is recorded in the audit log.
import { Router, type Request, type Response } from 'express';
import { recordAudit } from '../audit/record.ts';
import { issueApiKey } from '../auth/api-key.ts';
import { limitsForTier, type GatewayConfig } from '../config.ts';
import { notFound } from '../errors.ts';
import { expiryFrom, graceUntilFrom } from '../keys/key-request.ts';
import { parseScopes, type KeyScopes } from '../keys/scopes.ts';
import { principalOf } from '../middleware/authenticate.ts';
import type { ApiKey } from '../db/api-keys.ts';
import type { Store } from '../store.ts';
import { pathParam } from './path-param.ts';
import { checkLabel } from './text-field.ts';
import { bodyCheck } from '../protocols/body-check.ts';
import { CreateKeyRequest, KEY_NAME_MAX_LENGTH, RotateKeyRequest } from '../protocols/perpetual/request-schemas.ts';

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
    expires_at: key.expiresAt,
    grace_until: key.graceUntil,
    replaced_by: key.replacedBy,
    scopes: key.scopes,
  };
}

/** The optional `name` of a new key (used by the admin API too). */
export function keyNameFrom(body: unknown): string | null {
  const name = (body as { name?: unknown } | undefined)?.name;
  if (name === undefined || name === null) return null;
  return checkLabel(name, 'name', KEY_NAME_MAX_LENGTH);
}

/** Everything a key-issuing request may say, checked before anything is written. */
export interface KeyRequest {
  name: string | null;
  expiresAt: Date | null;
  scopes: KeyScopes | null;
}

const checkCreateKey = bodyCheck<Record<string, unknown>>(CreateKeyRequest, { path: 'dots' });
const checkRotateKey = bodyCheck<Record<string, unknown>>(RotateKeyRequest, { path: 'dots' });

/** Checked against its schema (protocols/perpetual/request-schemas.ts), then what it cannot say: an expiry in the future, a label's characters. */
export function keyRequestFrom(raw: unknown, now = Date.now()): KeyRequest {
  const body = checkCreateKey(raw ?? {});
  return {
    name: keyNameFrom(body),
    expiresAt: expiryFrom(body, now),
    scopes: parseScopes((body as { scopes?: unknown } | undefined)?.scopes),
  };
}

export interface ApiKeyRouteDeps {
  store: Store;
  config: Pick<GatewayConfig, 'tiers' | 'defaultLimits'>;
  revoked: (hash: string) => Promise<void>;
}

/** Issues a key for a user (also used by the admin API) and records it in the audit log. */
export async function createKeyFor(
  deps: ApiKeyRouteDeps,
  res: Response,
  user: { id: string; tier: string },
  request: KeyRequest,
): Promise<Record<string, unknown>> {
  const issued = issueApiKey();
  const limits = limitsForTier(deps.config, user.tier);
  const view = await deps.store.insertApiKey({
    userId: user.id,
    keyHash: issued.hash,
    prefix: issued.displayPrefix,
    name: request.name,
    tier: user.tier,
    limits: { perMinute: limits.requestsPerMinute, perDay: limits.requestsPerDay },
    expiresAt: request.expiresAt,
    scopes: request.scopes,
  });
  await recordAudit(deps.store, res, {
    action: 'key.issued',
    targetUser: user.id,
    target: view.id,
    details: { expires_at: view.expiresAt, scopes: view.scopes },
  });
  return { ...apiKeyJson(view), key: issued.key, warning: 'Store this key now: it is shown only once.' };
}

/** Rotates one of the user's keys: the replacement is shown once; the old key works until grace_until. */
export async function rotateKeyOf(
  deps: ApiKeyRouteDeps,
  res: Response,
  key: { userId: string; keyId: string },
  body: unknown,
): Promise<Record<string, unknown>> {
  const { userId, keyId } = key;
  const graceUntil = graceUntilFrom(checkRotateKey(body ?? {}), Date.now());
  const issued = issueApiKey();
  const rotated = await deps.store.rotateApiKey({ userId, keyId, keyHash: issued.hash, prefix: issued.displayPrefix, graceUntil });
  if (!rotated)
    throw notFound(
      `No active, unexpired key "${keyId}" that was not rotated already: rotate its replacement instead.`,
      'api_key_not_found',
      'id',
    );
  // Every replica drops the old key's cached record, so the grace period applies everywhere now.
  await deps.revoked(rotated.oldHash);
  await recordAudit(deps.store, res, {
    action: 'key.rotated',
    targetUser: userId,
    target: keyId,
    details: { replaced_by: rotated.key.id, grace_until: rotated.graceUntil },
  });
  return {
    ...apiKeyJson(rotated.key),
    key: issued.key,
    rotated_from: keyId,
    old_key_grace_until: rotated.graceUntil,
    warning: 'Store this key now: it is shown only once.',
  };
}

/** Revokes one of the user's keys on every replica. */
export async function revokeKeyOf(deps: ApiKeyRouteDeps, res: Response, userId: string, keyId: string): Promise<Record<string, unknown>> {
  const hash = await deps.store.revokeApiKey(userId, keyId);
  if (!hash) throw notFound("No such API key among this user's keys.", 'api_key_not_found', 'id');
  await deps.revoked(hash);
  await recordAudit(deps.store, res, { action: 'key.revoked', targetUser: userId, target: keyId });
  return { id: keyId, object: 'api_key', revoked: true };
}

export function apiKeysRouter(deps: ApiKeyRouteDeps): Router {
  const router = Router();
  router.post('/', async (req: Request, res: Response) => {
    const request = keyRequestFrom(req.body);
    const { userId } = principalOf(res);
    const user = await deps.store.getUser(userId);
    if (!user)
      throw notFound('Your account has no Perpetual user yet: ask the platform team to create it (POST /admin/users).', 'user_not_found');
    res.status(201).json(await createKeyFor(deps, res, user, request));
  });
  router.get('/', async (_req: Request, res: Response) => {
    const keys = await deps.store.listApiKeys(principalOf(res).userId);
    res.json({ object: 'list', data: keys.map(apiKeyJson) });
  });
  router.post('/:id/rotate', async (req: Request, res: Response) => {
    res.status(201).json(await rotateKeyOf(deps, res, { userId: principalOf(res).userId, keyId: pathParam(req, 'id') }, req.body));
  });
  router.delete('/:id', async (req: Request, res: Response) => {
    res.json(await revokeKeyOf(deps, res, principalOf(res).userId, pathParam(req, 'id')));
  });
  return router;
}
