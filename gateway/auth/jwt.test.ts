import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwtError, JwtVerifier } from './jwt.ts';
import type { JwtResult } from './jwt.ts';

const SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
const NOW = Date.parse('2030-06-01T12:00:00Z');
const nowSeconds = Math.floor(NOW / 1000);

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function supabaseToken(claims: Record<string, unknown> = {}, secret = SECRET): Promise<string> {
  // Shaped like a GoTrue access token; `claims` overrides any of it.
  return new SignJWT({
    sub: '7d9f1c2e-0000-4000-8000-000000000001',
    aud: 'authenticated',
    iat: nowSeconds - 60,
    exp: nowSeconds + 3600,
    email: 'ada@example.com',
    role: 'authenticated',
    ...claims,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}

function expectFailure(result: JwtResult, reason: string, token: string): void {
  expect(result).toMatchObject({ ok: false, reason });
  // The token must never travel with the failure, whole or as its signature.
  const text = JSON.stringify(result);
  expect(text).not.toContain(token);
  const signature = token.split('.')[2] ?? '';
  if (signature !== '') expect(text).not.toContain(signature);
  if (!result.ok) expect(JSON.stringify(jwtError(result).toJSON())).not.toContain(token);
}

describe('JwtVerifier', () => {
  const verifier = new JwtVerifier({ secret: SECRET, audience: 'authenticated' });

  it('accepts a Supabase session token and returns the user', async () => {
    const result = await verifier.verify(await supabaseToken(), NOW);
    expect(result).toEqual({
      ok: true,
      identity: { userId: '7d9f1c2e-0000-4000-8000-000000000001', email: 'ada@example.com', role: 'authenticated' },
    });
  });

  it('refuses a token signed with the wrong secret', async () => {
    const token = await supabaseToken({}, 'another-secret-another-secret-another-secret');
    expectFailure(await verifier.verify(token, NOW), 'bad_signature', token);
  });

  it('refuses an expired token, allowing a few seconds of skew', async () => {
    const token = await supabaseToken({ exp: nowSeconds - 30 });
    expectFailure(await verifier.verify(token, NOW), 'expired', token);
    const justExpired = await supabaseToken({ exp: nowSeconds - 2 });
    expect((await verifier.verify(justExpired, NOW)).ok).toBe(true);
  });

  it('refuses a token that is not valid yet', async () => {
    const token = await supabaseToken({ nbf: nowSeconds + 120 });
    expectFailure(await verifier.verify(token, NOW), 'not_yet_valid', token);
  });

  it('refuses a token issued in the future, allowing a few seconds of skew', async () => {
    const token = await supabaseToken({ iat: nowSeconds + 120 });
    expectFailure(await verifier.verify(token, NOW), 'not_yet_valid', token);
    expect((await verifier.verify(await supabaseToken({ iat: nowSeconds + 3 }), NOW)).ok).toBe(true);
    const strict = new JwtVerifier({ secret: SECRET, clockToleranceSeconds: 0 });
    const slightlyAhead = await supabaseToken({ iat: nowSeconds + 3 });
    expectFailure(await strict.verify(slightlyAhead, NOW), 'not_yet_valid', slightlyAhead);
  });

  it('refuses alg "none"', async () => {
    const claims = { sub: 'u1', aud: 'authenticated', exp: nowSeconds + 3600 };
    for (const token of [`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, `${b64({ alg: 'none' })}.${b64(claims)}.c2ln`]) {
      expectFailure(await verifier.verify(token, NOW), 'wrong_algorithm', token);
    }
  });

  it('refuses RS256 tokens, including one "signed" HS256-style with the RSA public key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const rs = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('u1')
      .setExpirationTime(nowSeconds + 60)
      .sign(privateKey);
    expectFailure(await verifier.verify(rs, NOW), 'wrong_algorithm', rs);
    // The classic confusion: a verifier that trusted the header would check this HMAC with the
    // public key as the secret. Ours uses only SUPABASE_JWT_SECRET, so it is a bad signature.
    const pem = await exportSPKI(publicKey);
    const confused = await supabaseToken({}, pem);
    expectFailure(await verifier.verify(confused, NOW), 'bad_signature', confused);
  });

  it('refuses other HMAC algorithms', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('u1')
      .setAudience('authenticated')
      .setExpirationTime(nowSeconds + 60)
      .sign(new TextEncoder().encode(SECRET));
    expectFailure(await verifier.verify(token, NOW), 'wrong_algorithm', token);
  });

  it('refuses the wrong audience when one is configured', async () => {
    const token = await supabaseToken({ aud: 'anon-thing' });
    expectFailure(await verifier.verify(token, NOW), 'wrong_audience', token);
    const custom = new JwtVerifier({ secret: SECRET, audience: 'anon-thing' });
    expect((await custom.verify(token, NOW)).ok).toBe(true);
    expectFailure(await custom.verify(await supabaseToken(), NOW), 'wrong_audience', token);
  });

  it('requires Supabase\'s "authenticated" audience when none is configured', async () => {
    const byDefault = new JwtVerifier({ secret: SECRET });
    expect((await byDefault.verify(await supabaseToken(), NOW)).ok).toBe(true);
    const otherApp = await supabaseToken({ aud: 'some-other-app' });
    expectFailure(await byDefault.verify(otherApp, NOW), 'wrong_audience', otherApp);
    const noAudience = await supabaseToken({ aud: undefined });
    expectFailure(await byDefault.verify(noAudience, NOW), 'wrong_audience', noAudience);
  });

  it('requires sub and exp', async () => {
    const key = new TextEncoder().encode(SECRET);
    const noSub = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience('authenticated')
      .setExpirationTime(nowSeconds + 60)
      .sign(key);
    expectFailure(await new JwtVerifier({ secret: SECRET }).verify(noSub, NOW), 'missing_subject', noSub);
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience('authenticated').setSubject('u1').sign(key);
    expectFailure(await new JwtVerifier({ secret: SECRET }).verify(noExp, NOW), 'invalid_claims', noExp);
  });

  it.each([
    ['empty', ''],
    ['garbage', 'not.a.jwt'],
    ['two parts', 'abc.def'],
    ['an API key', 'pp_live_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'],
  ])('calls %s input malformed', async (_label, token) => {
    const result = await verifier.verify(token, NOW);
    expect(result).toMatchObject({ ok: false, reason: 'malformed' });
    if (token !== '') expect(JSON.stringify(result)).not.toContain(token);
  });

  it('turns failures into 401 authentication errors', async () => {
    const result = await verifier.verify(await supabaseToken({ exp: nowSeconds - 600 }), NOW);
    if (result.ok) throw new Error('expected a failure');
    const err = jwtError(result);
    expect(err.status).toBe(401);
    expect(err.toJSON().error).toMatchObject({ type: 'authentication_error', code: 'token_expired' });
  });
});
