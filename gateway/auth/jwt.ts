// Supabase-compatible session JWTs: HS256 signed with SUPABASE_JWT_SECRET (the secret's UTF-8
// bytes, as Supabase's GoTrue signs them). Only HS256 is accepted: `alg: none` and RS256/HS256
// confusion (an RS token "verified" with a public key used as an HMAC secret) are both refused
// by jose's algorithm allow-list before any signature work. The audience is always checked
// (Supabase's user sessions carry "authenticated"; its anon and service_role keys, signed with the
// same secret, do not), and a token issued in the future is refused like one not valid yet.
// Failures come back as a typed result with a reason and a sentence; neither ever contains the token.
import { errors, jwtVerify } from 'jose';
import { unauthorized } from '../errors.ts';
import type { GatewayError } from '../errors.ts';

export interface JwtIdentity {
  /** The `sub` claim: the Supabase user id. */
  userId: string;
  email: string | undefined;
  /** Supabase puts "authenticated" (or "anon", "service_role") here. */
  role: string | undefined;
}

export type JwtFailureReason =
  | 'malformed'
  | 'bad_signature'
  | 'wrong_algorithm'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'missing_subject'
  | 'invalid_claims';

export type JwtResult = { ok: true; identity: JwtIdentity } | { ok: false; reason: JwtFailureReason; message: string };

export interface JwtVerifierOptions {
  /** SUPABASE_JWT_SECRET. */
  secret: string;
  /** The `aud` a token must carry (SUPABASE_JWT_AUDIENCE). Default "authenticated", as in Supabase user sessions. */
  audience?: string;
  /** Seconds of clock skew allowed on exp/nbf/iat. Default 5. */
  clockToleranceSeconds?: number;
}

const MESSAGES: Record<JwtFailureReason, string> = {
  malformed: 'The bearer token is not a well-formed JWT.',
  bad_signature: "The JWT signature does not verify; it was not issued by this project's Supabase (check SUPABASE_JWT_SECRET).",
  wrong_algorithm: 'The JWT uses an algorithm other than HS256, which is the only one accepted.',
  expired: 'The JWT has expired; sign in again to get a fresh token.',
  not_yet_valid: 'The JWT is not valid yet (nbf/iat in the future); check the clocks.',
  wrong_audience:
    "The JWT was issued for a different audience (its aud claim): send a signed-in user's session access token, not an anon or service_role key.",
  missing_subject: 'The JWT has no subject (sub), so it names no user.',
  invalid_claims: 'The JWT claims are invalid (a user token must carry sub and exp).',
};

function fail(reason: JwtFailureReason): JwtResult {
  return { ok: false, reason, message: MESSAGES[reason] };
}

function claimFailure(err: errors.JWTClaimValidationFailed): JwtFailureReason {
  if (err.claim === 'nbf' || err.claim === 'iat') return 'not_yet_valid';
  if (err.claim === 'aud') return 'wrong_audience';
  if (err.claim === 'sub') return 'missing_subject';
  return 'invalid_claims';
}

function classify(err: unknown): JwtFailureReason {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return claimFailure(err);
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return 'wrong_algorithm';
  return 'malformed';
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const DEFAULT_JWT_AUDIENCE = 'authenticated';

/** jose checks `iat` only together with a maximum token age; a token issued later than now (give or take the tolerance) is not valid yet. */
function issuedInTheFuture(iat: unknown, nowMs: number, toleranceSeconds: number): boolean {
  return typeof iat === 'number' && iat > nowMs / 1000 + toleranceSeconds;
}

export class JwtVerifier {
  readonly #secret: Uint8Array;
  readonly #audience: string;
  readonly #tolerance: number;

  constructor(options: JwtVerifierOptions) {
    if (options.secret === '') throw new Error('SUPABASE_JWT_SECRET is empty');
    this.#secret = new TextEncoder().encode(options.secret);
    this.#audience = options.audience ?? DEFAULT_JWT_AUDIENCE;
    this.#tolerance = options.clockToleranceSeconds ?? 5;
  }

  /** Verifies a token. `now` (ms since the epoch) is for tests. Never throws for a bad token. */
  async verify(token: string, now?: number): Promise<JwtResult> {
    try {
      const { payload } = await jwtVerify(token, this.#secret, {
        algorithms: ['HS256'],
        clockTolerance: this.#tolerance,
        requiredClaims: ['sub', 'exp'],
        audience: this.#audience,
        ...(now === undefined ? {} : { currentDate: new Date(now) }),
      });
      if (issuedInTheFuture(payload.iat, now ?? Date.now(), this.#tolerance)) return fail('not_yet_valid');
      const userId = stringClaim(payload.sub);
      if (!userId) return fail('missing_subject');
      return { ok: true, identity: { userId, email: stringClaim(payload['email']), role: stringClaim(payload['role']) } };
    } catch (err) {
      return fail(classify(err));
    }
  }
}

/** The 401 for a failed verification: OpenAI's authentication_error shape, reason as the code. */
export function jwtError(result: Extract<JwtResult, { ok: false }>): GatewayError {
  return unauthorized(result.message, result.reason === 'expired' ? 'token_expired' : 'invalid_token');
}
