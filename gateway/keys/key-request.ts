// What a key-issuing or key-rotating request may say about the key's life, checked before anything
// is written (a 400 naming the field). Pure: `now` is passed in, so the bounds are testable.
import { badRequest } from '../errors.ts';

/** Keys live at most five years: further than that is a typo or a key nobody will rotate. */
export const MAX_KEY_LIFETIME_MS = 5 * 365 * 24 * 3600 * 1000;
/** A rotated key keeps working at most 30 days beside its replacement. */
export const MAX_GRACE_SECONDS = 30 * 24 * 3600;
/** Long enough to roll a new key out to a fleet; short enough that both keys are not kept by habit. */
export const DEFAULT_GRACE_SECONDS = 24 * 3600;

function body(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/**
 * The expiry of a new key: `expires_at` (an ISO 8601 time) or `expires_in_seconds`, not both;
 * null when neither is given (the key does not expire). It must lie in the future and within
 * MAX_KEY_LIFETIME_MS.
 */
export function expiryFrom(request: unknown, now: number): Date | null {
  const { expires_at: at, expires_in_seconds: inSeconds } = body(request);
  const given = (v: unknown): boolean => v !== undefined && v !== null;
  if (given(at) && given(inSeconds))
    throw badRequest('Give "expires_at" or "expires_in_seconds", not both.', 'invalid_expiry', 'expires_in_seconds');
  let expiry: number;
  let param: string;
  if (given(at)) {
    param = 'expires_at';
    expiry = typeof at === 'string' && /^\d{4}-\d{2}-\d{2}/.test(at) ? Date.parse(at) : NaN;
    if (Number.isNaN(expiry))
      throw badRequest('"expires_at" must be an ISO 8601 time, e.g. "2027-01-31T00:00:00Z".', 'invalid_expiry', param);
  } else if (given(inSeconds)) {
    param = 'expires_in_seconds';
    if (typeof inSeconds !== 'number' || !Number.isInteger(inSeconds) || inSeconds < 1) {
      throw badRequest('"expires_in_seconds" must be a positive whole number of seconds.', 'invalid_expiry', param);
    }
    expiry = now + inSeconds * 1000;
  } else {
    return null;
  }
  if (expiry <= now) throw badRequest(`"${param}" must lie in the future.`, 'invalid_expiry', param);
  if (expiry - now > MAX_KEY_LIFETIME_MS) throw badRequest(`"${param}" must be at most five years away.`, 'invalid_expiry', param);
  return new Date(expiry);
}

/** Until when a rotated key keeps working: `grace_seconds` from now (0 to 30 days; 24 hours by default). */
export function graceUntilFrom(request: unknown, now: number): Date {
  const { grace_seconds: grace } = body(request);
  if (grace === undefined || grace === null) return new Date(now + DEFAULT_GRACE_SECONDS * 1000);
  if (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
    throw badRequest(
      `"grace_seconds" must be a whole number of seconds from 0 to ${String(MAX_GRACE_SECONDS)} (30 days).`,
      'invalid_grace',
      'grace_seconds',
    );
  }
  return new Date(now + grace * 1000);
}
