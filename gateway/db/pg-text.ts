// Text as PostgreSQL will take it. A `text` column refuses one character outright: NUL (U+0000),
// with SQLSTATE 22021, which the usage log treats as "this row can never be written" and drops.
// Fields that come from the caller (a conversation id, a model name) may hold anything JSON can,
// so a request carrying a NUL used to be answered and then never logged or billed. This makes any
// string storable instead: NUL becomes U+FFFD (visible, and "a\0b" stays distinct from "ab"), a
// lone surrogate half becomes U+FFFD too (the driver would otherwise do so silently while encoding
// UTF-8), and the length is bounded so one request cannot write an arbitrarily large row.

/** The replacement character, for what PostgreSQL cannot store. */
const REPLACEMENT = '\uFFFD';

/**
 * `value` made safe for a PostgreSQL text column, at most `maxLength` UTF-16 code units long
 * (never cutting a surrogate pair in half). Idempotent: a safe string comes back unchanged.
 */
export function pgText(value: string, maxLength: number): string {
  const limit = Math.max(0, Math.floor(maxLength));
  const safe = value.toWellFormed().replaceAll('\u0000', REPLACEMENT);
  if (safe.length <= limit) return safe;
  // Cutting between a high and a low surrogate would leave half a character: cut before the pair.
  const last = safe.charCodeAt(limit - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? limit - 1 : limit;
  return safe.slice(0, end);
}

/** pgText for a nullable column: null stays null. */
export function pgTextOrNull(value: string | null | undefined, maxLength: number): string | null {
  return value === null || value === undefined ? null : pgText(value, maxLength);
}
