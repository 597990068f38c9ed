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
import { forbidden, unauthorized } from '../errors.ts';
import { keyLookupFailure } from '../keys/database-unavailable.ts';
import type { TtlCache } from '../keys/ttl-cache.ts';
import type { LastUsedTracker } from '../keys/last-used.ts';
import { endpointOf, scopedTier, scopeRefusal, type KeyScopes } from '../keys/scopes.ts';
import { adapterTierRefusal } from '../chat/resolve-model.ts';
import { budgetsFor, withTokenOverrides, type BudgetLimit, type LimitOverrides } from '../budget/limits.ts';

/** What the hot path needs to know about an API key (a row of api_keys, joined with its user). */
export interface ApiKeyRecord {
  id: string;
  userId: string;
  tier: string;
  rateLimitPerMinute: number;
  rateLimitPerDay: number;
  /** Epoch ms after which the key is refused; null: never. Checked on each request, so expiry needs no message between replicas. */
  expiresAt?: number | null;
  /** Epoch ms after which a rotated key is refused; null: not rotated. */
  graceUntil?: number | null;
  scopes?: KeyScopes | null;
  /** Budgets and token limits set on the key's user and on the key (limit_overrides), cached with the key. */
  userOverrides?: LimitOverrides;
  keyOverrides?: LimitOverrides;
}

export interface Principal {
  userId: string;
  tier: string;
  limits: TierLimits;
  via: 'api_key' | 'jwt' | 'admin';
  keyId?: string;
  keyHash?: string;
  email?: string;
  /** The API key's scopes, when it has any. */
  scopes?: KeyScopes;
  /** Money budgets in force for this caller (budget/limits.ts); absent: none. */
  budgets?: BudgetLimit[];
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

const AUTH_FIX =
  'Send a valid Perpetual API key as "Authorization: Bearer <key>" (check PERPETUAL_API_KEY; keys are created with POST /v1/keys).';

/** Why a key that exists is refused at `now`: expired, or rotated and past its grace period. */
export function lapsedKey(record: Pick<ApiKeyRecord, 'expiresAt' | 'graceUntil'>, now: number): Error | undefined {
  if (record.expiresAt != null && now >= record.expiresAt) {
    return unauthorized(
      `Authentication failed: this API key expired at ${new Date(record.expiresAt).toISOString()}. Issue a new key (POST /v1/keys) or ask the platform team for one.`,
      'api_key_expired',
    );
  }
  if (record.graceUntil != null && now >= record.graceUntil) {
    return unauthorized(
      `Authentication failed: this API key was rotated and its grace period ended at ${new Date(record.graceUntil).toISOString()}. Use the key that replaced it.`,
      'api_key_rotated',
    );
  }
  return undefined;
}

/** The request's path under the API prefix, e.g. "/chat/completions" (mounted routers strip their part into baseUrl). */
function apiPath(req: Request, prefix: string): string {
  const full = req.baseUrl + req.path;
  return prefix && full.startsWith(prefix) ? full.slice(prefix.length) || '/' : full;
}

/**
 * A key whose scope turns memory off: off for this request whatever it asks, by the same means a
 * caller turns it off (the header, and the body field where the caller sent one).
 */
function memoryOff(req: Request): void {
  req.headers['x-perpetual-memory'] = 'off';
  const body: unknown = req.body;
  if (typeof body === 'object' && body !== null && 'memory' in body) (body as Record<string, unknown>).memory = false;
}

/** The `model` of a JSON request body, if any. */
function bodyModel(req: Request): unknown {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
}

export function requireApiKey(deps: {
  cache: TtlCache<ApiKeyRecord>;
  lastUsed: LastUsedTracker;
  config: Pick<GatewayConfig, 'tiers' | 'defaultLimits'> & { prefix?: string; models?: GatewayConfig['models'] };
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const key = bearerToken(req);
    if (!key) throw unauthorized(`Authentication failed: no API key. ${AUTH_FIX}`, 'missing_api_key');
    if (!looksLikeApiKey(key)) throw unauthorized(`Authentication failed: that is not a Perpetual API key. ${AUTH_FIX}`);
    const hash = hashApiKey(key);
    // A key in use recently is answered from the cache even while PostgreSQL is down; any other
    // key gets a 503 then (it may be valid: we cannot know), never a 401 or a bare 500.
    const record = await deps.cache.get(hash).catch((err: unknown) => {
      throw keyLookupFailure(err, 'Cannot check this API key right now');
    });
    if (!record) throw unauthorized(`Authentication failed: the API key is unknown, inactive or revoked. ${AUTH_FIX}`);
    const lapsed = lapsedKey(record, now());
    if (lapsed) throw lapsed;
    const scopes = record.scopes ?? null;
    if (scopes) {
      const refusal = scopeRefusal(scopes, { endpoint: endpointOf(apiPath(req, deps.config.prefix ?? '')), model: bodyModel(req) });
      if (refusal) throw forbidden(refusal, 'api_key_scope');
      if (scopes.memory === false) memoryOff(req);
    }
    deps.lastUsed.note(hash);
    const tier = scopedTier(record.tier, scopes);
    // An adapter limited to some tiers (spec.adapters[].tiers): refused here, where the tier is known, like a model scope.
    const adapterRefusal = adapterTierRefusal(deps.config.models ?? [], bodyModel(req), tier);
    if (adapterRefusal) throw forbidden(adapterRefusal, 'adapter_tier');
    const { userOverrides, keyOverrides } = record;
    const tierLimits = tierOrKeyLimits(deps.config, { ...record, tier });
    const budgets = budgetsFor(tierLimits.budget, userOverrides, keyOverrides);
    const principal: Principal = {
      userId: record.userId,
      tier,
      limits: withTokenOverrides(tierLimits, userOverrides, keyOverrides),
      via: 'api_key',
      keyId: record.id,
      keyHash: hash,
      ...(scopes ? { scopes } : {}),
      ...(budgets.length > 0 ? { budgets } : {}),
    };
    res.locals.principal = principal;
    next();
  };
}

/** A known tier follows the configured tier limits (so changing the PerpetualDeployment applies at once); any other tier keeps the key's own limits. */
function tierOrKeyLimits(
  config: Pick<GatewayConfig, 'tiers' | 'defaultLimits'>,
  record: { tier: string; rateLimitPerMinute: number; rateLimitPerDay: number },
): TierLimits {
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
    if (!adminToken)
      throw unauthorized(
        "Admin API disabled: set ADMIN_TOKEN (the operator sets it from the PerpetualDeployment's admin token Secret).",
        'admin_disabled',
      );
    const given = req.get('x-admin-token') ?? bearerToken(req);
    if (!given || !sameSecret(given, adminToken))
      throw unauthorized('Authentication failed: the admin token is missing or wrong.', 'invalid_admin_token');
    res.locals.principal = {
      userId: '',
      tier: 'admin',
      limits: { requestsPerMinute: 0, requestsPerDay: 0 },
      via: 'admin',
    } satisfies Principal;
    next();
  };
}

/** A Supabase session: `Authorization: Bearer <access token>`, verified with SUPABASE_JWT_SECRET. */
export function requireUserJwt(verifier: JwtVerifier | undefined) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!verifier)
      throw unauthorized(
        'Key management by session is disabled: set SUPABASE_JWT_SECRET, or have the platform team issue keys (POST /admin/users/{id}/keys).',
        'jwt_disabled',
      );
    const token = bearerToken(req);
    if (!token)
      throw unauthorized(
        'Authentication failed: send your Supabase session token as "Authorization: Bearer <access_token>".',
        'missing_token',
      );
    const result = await verifier.verify(token);
    if (!result.ok) throw jwtError(result);
    const principal: Principal = {
      userId: result.identity.userId,
      tier: '',
      limits: { requestsPerMinute: 0, requestsPerDay: 0 },
      via: 'jwt',
      ...(result.identity.email ? { email: result.identity.email } : {}),
    };
    res.locals.principal = principal;
    next();
  };
}
