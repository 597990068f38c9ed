// The three authentication middlewares on plain request and response objects: which credential
// each accepts, the principal it leaves for the routes, and the error (status, code) for each way
// a credential is wrong or cannot be checked.
import type { Request, Response } from 'express';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { hashApiKey, issueApiKey } from '../auth/api-key.ts';
import { JwtVerifier } from '../auth/jwt.ts';
import { GatewayError } from '../errors.ts';
import { LastUsedTracker } from '../keys/last-used.ts';
import { TtlCache } from '../keys/ttl-cache.ts';
import {
  bearerToken,
  principalOf,
  requireAdmin,
  requireApiKey,
  requireUserJwt,
  sameSecret,
  type ApiKeyRecord,
  type Principal,
} from './authenticate.ts';

function request(headers: Record<string, string>): Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { get: (name: string) => lower[name.toLowerCase()] } as unknown as Request;
}

function response(): Response {
  return { locals: {} } as unknown as Response;
}

/** Runs a middleware; resolves with the principal it left, or rejects with what it threw. */
async function run(
  middleware: (req: Request, res: Response, next: () => void) => unknown,
  headers: Record<string, string>,
): Promise<Principal> {
  const res = response();
  let nextCalled = false;
  await middleware(request(headers), res, () => {
    nextCalled = true;
  });
  expect(nextCalled).toBe(true);
  return principalOf(res);
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  const { status, code, message } = err as GatewayError;
  return { status, code, message };
}

describe('bearerToken', () => {
  it.each([
    [{ authorization: 'Bearer pp_live_abc' }, 'pp_live_abc'],
    [{ authorization: 'bearer   pp_live_abc  ' }, 'pp_live_abc'],
    // The Anthropic SDK sends its key this way.
    [{ 'x-api-key': ' pp_live_abc ' }, 'pp_live_abc'],
    [{ authorization: 'Basic dXNlcjpwYXNz' }, undefined],
    [{}, undefined],
  ])('%j → %s', (headers, token) => {
    expect(bearerToken(request(headers))).toBe(token);
  });
});

describe('requireApiKey', () => {
  const key = issueApiKey().key;
  const record: ApiKeyRecord = { id: 'key-1', userId: 'user-1', tier: 'pro', rateLimitPerMinute: 7, rateLimitPerDay: 70 };
  const config = {
    tiers: {
      free: { requestsPerMinute: 1, requestsPerDay: 10 },
      pro: { requestsPerMinute: 60, requestsPerDay: 600 },
      enterprise: { requestsPerMinute: 600, requestsPerDay: 6000 },
    },
    defaultLimits: { requestsPerMinute: 5, requestsPerDay: 50 },
  };
  let lookups: string[] = [];
  let touched: string[][] = [];
  let trackers: LastUsedTracker[] = [];

  afterEach(async () => {
    lookups = [];
    touched = [];
    await Promise.all(trackers.map((t) => t.close()));
    trackers = [];
  });

  function middleware(load: (hash: string) => Promise<ApiKeyRecord | undefined>) {
    const cache = new TtlCache<ApiKeyRecord>({
      load: (hash) => {
        lookups.push(hash);
        return load(hash);
      },
      ttlMs: 0,
    });
    const lastUsed = new LastUsedTracker({
      touch: (hashes) => {
        touched.push(hashes);
        return Promise.resolve();
      },
      log: pino({ level: 'silent' }),
    });
    trackers.push(lastUsed);
    return requireApiKey({ cache, lastUsed, config });
  }

  it("leaves the key's principal, with its known tier's configured limits, and notes the key as used", async () => {
    const principal = await run(
      middleware(() => Promise.resolve(record)),
      { authorization: `Bearer ${key}` },
    );
    expect(principal).toEqual({
      userId: 'user-1',
      tier: 'pro',
      limits: { requestsPerMinute: 60, requestsPerDay: 600 },
      via: 'api_key',
      keyId: 'key-1',
      keyHash: hashApiKey(key),
    });
    // Only the hash is looked up, never the key itself.
    expect(lookups).toEqual([hashApiKey(key)]);
    await trackers[0]?.close();
    expect(touched).toEqual([[hashApiKey(key)]]);
  });

  it("keeps a key's own limits when its tier is none of the configured ones", async () => {
    const principal = await run(
      middleware(() => Promise.resolve({ ...record, tier: 'partner' })),
      { 'x-api-key': key },
    );
    expect(principal.limits).toEqual({ requestsPerMinute: 7, requestsPerDay: 70 });
  });

  it('a key scoped to a lower tier gets that tier and its limits; memory off is forced on the request', async () => {
    const scoped = { ...record, tier: 'enterprise', scopes: { max_tier: 'pro', memory: false } };
    const req = Object.assign(request({ authorization: `Bearer ${key}`, 'x-perpetual-memory': 'on' }), {
      baseUrl: '/v1',
      path: '/chat/completions',
      headers: { 'x-perpetual-memory': 'on' },
      body: { model: 'm', memory: { enabled: true } },
    });
    const res = response();
    await middleware(() => Promise.resolve(scoped))(req, res, () => undefined);
    expect(principalOf(res)).toMatchObject({
      tier: 'pro',
      limits: { requestsPerMinute: 60, requestsPerDay: 600 },
      scopes: { max_tier: 'pro', memory: false },
    });
    expect(req.headers['x-perpetual-memory']).toBe('off');
    expect(req.body).toEqual({ model: 'm', memory: false });
  });

  it('refuses an expired key and a rotated key past its grace with a 401 naming when; a key in its grace period passes', async () => {
    const past = Date.now() - 1000;
    expect(
      await refusal(
        run(
          middleware(() => Promise.resolve({ ...record, expiresAt: past })),
          { authorization: `Bearer ${key}` },
        ),
      ),
    ).toMatchObject({ status: 401, code: 'api_key_expired', message: expect.stringContaining(new Date(past).toISOString()) as unknown });
    expect(
      await refusal(
        run(
          middleware(() => Promise.resolve({ ...record, graceUntil: past })),
          { authorization: `Bearer ${key}` },
        ),
      ),
    ).toMatchObject({ status: 401, code: 'api_key_rotated' });
    const inGrace = await run(
      middleware(() => Promise.resolve({ ...record, graceUntil: Date.now() + 60_000, expiresAt: Date.now() + 120_000 })),
      { authorization: `Bearer ${key}` },
    );
    expect(inGrace.keyId).toBe('key-1');
  });

  it.each([
    ['no key', {}, 'missing_api_key'],
    ['something that is not a Perpetual key', { authorization: 'Bearer sk-openai-key-by-mistake' }, 'invalid_api_key'],
  ])('refuses %s with a 401 before any lookup', async (_what, headers, code) => {
    expect(
      await refusal(
        run(
          middleware(() => Promise.resolve(record)),
          headers,
        ),
      ),
    ).toMatchObject({ status: 401, code });
    expect(lookups).toEqual([]);
  });

  it('refuses an unknown, inactive or revoked key with a 401 that does not echo it', async () => {
    const error = await refusal(
      run(
        middleware(() => Promise.resolve(undefined)),
        { authorization: `Bearer ${key}` },
      ),
    );
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(error.message).not.toContain(key);
  });

  it('answers 503 database_unavailable when the lookup cannot reach PostgreSQL (the key may be valid)', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const error = await refusal(
      run(
        middleware(() => Promise.reject(down)),
        { authorization: `Bearer ${key}` },
      ),
    );
    expect(error).toMatchObject({ status: 503, code: 'database_unavailable' });
    expect(error.message).not.toContain('5432');
  });

  it('lets any other lookup failure through as it is (a bug: the error handler makes it a 500)', async () => {
    const bug = new TypeError('bug');
    await expect(
      run(
        middleware(() => Promise.reject(bug)),
        { authorization: `Bearer ${key}` },
      ),
    ).rejects.toBe(bug);
  });
});

describe('requireAdmin', () => {
  const token = 'admin-token-0123456789abcdef';

  it('accepts the admin token as x-admin-token or a bearer token', async () => {
    const ways: Record<string, string>[] = [{ 'x-admin-token': token }, { authorization: `Bearer ${token}` }];
    for (const headers of ways) {
      expect(await run(requireAdmin(token), headers)).toMatchObject({ via: 'admin', tier: 'admin' });
    }
  });

  it.each([
    ['a wrong token', { 'x-admin-token': `${token}x` }, 'invalid_admin_token'],
    ['a prefix of the token', { 'x-admin-token': token.slice(0, 10) }, 'invalid_admin_token'],
    ['no token', {}, 'invalid_admin_token'],
  ])('refuses %s with a 401', async (_what, headers, code) => {
    expect(await refusal(run(requireAdmin(token), headers))).toMatchObject({ status: 401, code });
  });

  it('is off (401 admin_disabled) without a configured token, whatever is sent', async () => {
    expect(await refusal(run(requireAdmin(undefined), { 'x-admin-token': '' }))).toMatchObject({ status: 401, code: 'admin_disabled' });
  });

  it('compares secrets whatever their lengths', () => {
    expect([sameSecret(token, token), sameSecret('', token), sameSecret(`${token}${token}`, token)]).toEqual([true, false, false]);
  });
});

describe('requireUserJwt', () => {
  const secret = 'jwt-secret-for-unit-tests-0123456789abcdef';
  const verifier = new JwtVerifier({ secret });
  const sign = (audience: string): Promise<string> =>
    new SignJWT({ email: 'ada@example.com' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-9')
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));

  it("leaves the session's user as the principal, with no limits of its own", async () => {
    const principal = await run(requireUserJwt(verifier), { authorization: `Bearer ${await sign('authenticated')}` });
    expect(principal).toEqual({
      userId: 'user-9',
      tier: '',
      limits: { requestsPerMinute: 0, requestsPerDay: 0 },
      via: 'jwt',
      email: 'ada@example.com',
    });
  });

  it('refuses a token for another audience, a missing token, and everything when no secret is configured', async () => {
    expect((await refusal(run(requireUserJwt(verifier), { authorization: `Bearer ${await sign('anon')}` }))).status).toBe(401);
    expect(await refusal(run(requireUserJwt(verifier), {}))).toMatchObject({ status: 401, code: 'missing_token' });
    expect(await refusal(run(requireUserJwt(undefined), { authorization: `Bearer ${await sign('authenticated')}` }))).toMatchObject({
      status: 401,
      code: 'jwt_disabled',
    });
  });
});

describe('principalOf', () => {
  it('throws when a route runs without an authentication middleware (a wiring bug, not a client error)', () => {
    expect(() => principalOf(response())).toThrow('without an authentication middleware');
  });
});
