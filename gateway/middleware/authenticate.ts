// Who is calling. Three kinds of callers:
// - end users with a gateway API key (Authorization: Bearer pp_live_..., or x-api-key as the
//   Anthropic SDK sends it): the OpenAI-compatible API, provider keys, usage;
// - end users with a Supabase session JWT: managing their own API keys;
// - the platform team with the admin token from the operator's Secret: users and tiers.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { hashApiKey, looksLikeApiKey } from '../auth/api-key.ts';
import { jwtError, type JwtVerifier } from '../auth/jwt.ts';
import { limitsForTier, type GatewayConfig, type TierLimits } from '../config.ts';
import { unauthorized } from '../errors.ts';
import { keyLookupFailure } from '../keys/database-unavailable.ts';
import type { TtlCache } from '../keys/ttl-cache.ts';
import type { LastUsedTracker } from '../keys/last-used.ts';

/** What the hot path needs to know about an API key (a row of api_keys, joined with its user). */
export interface ApiKeyRecord {
  id: string;
  userId: string;
  tier: string;
  rateLimitPerMinute: number;
  rateLimitPerDay: number;
}

export interface Principal {
  userId: string;
  tier: string;
  limits: TierLimits;
  via: 'api_key' | 'jwt' | 'admin';
  keyId?: string;
  keyHash?: string;
  email?: string;
}

export function bearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1] ?? req.get('x-api-key')?.trim() ?? undefined;
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('route used without an authentication middleware');
  return principal;
}

const AUTH_FIX = 'Send a valid Perpetual API key as "Authorization: Bearer <key>" (check PERPETUAL_API_KEY; keys are created with POST /v1/keys).';

export function requireApiKey(deps: { cache: TtlCache<ApiKeyRecord>; lastUsed: LastUsedTracker; config: Pick<GatewayConfig, 'tiers' | 'defaultLimits'> }) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const key = bearerToken(req);
    if (!key) throw unauthorized(`Authentication failed: no API key. ${AUTH_FIX}`, 'missing_api_key');
    if (!looksLikeApiKey(key)) throw unauthorized(`Authentication failed: that is not a Perpetual API key. ${AUTH_FIX}`);
    const hash = hashApiKey(key);
    // A key in use recently is answered from the cache even while PostgreSQL is down; any other
    // key gets a 503 then (it may be valid: we cannot know), never a 401 or a bare 500.
    const record = await deps.cache.get(hash).catch((err: unknown) => { throw keyLookupFailure(err, 'Cannot check this API key right now'); });
    if (!record) throw unauthorized(`Authentication failed: the API key is unknown, inactive or revoked. ${AUTH_FIX}`);
    deps.lastUsed.note(hash);
    const principal: Principal = {
      userId: record.userId,
      tier: record.tier,
      limits: tierOrKeyLimits(deps.config, record),
      via: 'api_key',
      keyId: record.id,
      keyHash: hash,
    };
    res.locals.principal = principal;
    next();
  };
}

/** A known tier follows the configured tier limits (so changing the PerpetualDeployment applies at once); any other tier keeps the key's own limits. */
function tierOrKeyLimits(config: Pick<GatewayConfig, 'tiers' | 'defaultLimits'>, record: { tier: string; rateLimitPerMinute: number; rateLimitPerDay: number }): TierLimits {
  if (record.tier in config.tiers) return limitsForTier(config, record.tier);
  return { requestsPerMinute: record.rateLimitPerMinute, requestsPerDay: record.rateLimitPerDay };
}

/** Compares secrets in constant time, whatever their lengths. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function requireAdmin(adminToken: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!adminToken) throw unauthorized('Admin API disabled: set ADMIN_TOKEN (the operator sets it from the PerpetualDeployment\'s admin token Secret).', 'admin_disabled');
    const given = req.get('x-admin-token') ?? bearerToken(req);
    if (!given || !sameSecret(given, adminToken)) throw unauthorized('Authentication failed: the admin token is missing or wrong.', 'invalid_admin_token');
    res.locals.principal = { userId: '', tier: 'admin', limits: { requestsPerMinute: 0, requestsPerDay: 0 }, via: 'admin' } satisfies Principal;
    next();
  };
}

/** A Supabase session: `Authorization: Bearer <access token>`, verified with SUPABASE_JWT_SECRET. */
export function requireUserJwt(verifier: JwtVerifier | undefined) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!verifier) throw unauthorized('Key management by session is disabled: set SUPABASE_JWT_SECRET, or have the platform team issue keys (POST /admin/users/{id}/keys).', 'jwt_disabled');
    const token = bearerToken(req);
    if (!token) throw unauthorized('Authentication failed: send your Supabase session token as "Authorization: Bearer <access_token>".', 'missing_token');
    const result = await verifier.verify(token);
    if (!result.ok) throw jwtError(result);
    const principal: Principal = { userId: result.identity.userId, tier: '', limits: { requestsPerMinute: 0, requestsPerDay: 0 }, via: 'jwt', ...(result.identity.email ? { email: result.identity.email } : {}) };
    res.locals.principal = principal;
    next();
  };
}
