// A URL from a spec may carry credentials (https://user:password@qdrant.example, ?api_key=...).
// Status, events and logs are readable by far more people than the Secrets such a URL belongs in,
// so every URL formatted into one of them goes through redactUrl first.

/** What replaces a credential: visibly redacted, and the same whatever the secret was. */
export const REDACTED = '***';

/** Query parameters whose value is a credential, by name (api_key, access_token, X-Amz-Signature, ...). */
const SECRET_PARAMETER = /([?&][^=&#]*(?:pass|pwd|token|secret|key|signature|auth|credential)[^=&#]*=)[^&#]*/gi;

/**
 * `url` with its userinfo (`user:password@`) and the values of credential-like query parameters
 * replaced by `***`; otherwise unchanged, character for character (no normalisation), so a URL
 * without credentials reads exactly as the user wrote it. A string that does not parse as a URL
 * loses everything between `://` and its last `@`: when in doubt, redact more.
 */
export function redactUrl(url: string): string {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return url.replace(SECRET_PARAMETER, `$1${REDACTED}`);
  const authorityStart = schemeEnd + 3;
  const userinfoEnd = userinfoEndOf(url, authorityStart);
  const withoutUserinfo = userinfoEnd < 0 ? url : `${url.slice(0, authorityStart)}${REDACTED}${url.slice(userinfoEnd)}`;
  return withoutUserinfo.replace(SECRET_PARAMETER, `$1${REDACTED}`);
}

/** The index of the `@` that ends the userinfo, or -1 when there is none. */
function userinfoEndOf(url: string, authorityStart: number): number {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Unparsable (e.g. a password with a raw `/` or `#`): the last `@` anywhere may end a userinfo.
    return url.lastIndexOf('@');
  }
  if (!parsed.username && !parsed.password) return -1;
  // The authority ends at the first `/`, `?` or `#`; its userinfo, at the last `@` before that.
  const rest = url.slice(authorityStart);
  const authorityLength = rest.search(/[/?#\\]/);
  const authority = authorityLength < 0 ? rest : rest.slice(0, authorityLength);
  const at = authority.lastIndexOf('@');
  return at < 0 ? -1 : authorityStart + at;
}
