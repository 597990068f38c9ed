// Strict URL-safe base64 (RFC 4648 §5). Node's own decoder is lenient: it skips characters outside
// the alphabet, accepts '+' and '/', and ignores anything after the padding. Fernet's invalid
// vectors ("invalid characters", "non-URL-safe characters", "trailing characters after padding")
// require a decoder that refuses all of that, so we decode with Node and accept the input only if
// re-encoding gives back exactly the same text: that one comparison also rules out non-zero
// trailing bits and misplaced padding.

/** Encodes like Python's `base64.urlsafe_b64encode`: URL-safe alphabet, `=` padding kept. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replaceAll('+', '-').replaceAll('/', '_');
}

/**
 * Decodes canonical URL-safe base64. `padding: 'required'` (the default) accepts only the padded
 * form Python writes; `'optional'` also accepts the same text with its `=` stripped.
 * Returns undefined for anything else, so callers word their own error without echoing input.
 */
export function decodeBase64Url(text: string, padding: 'required' | 'optional' = 'required'): Buffer | undefined {
  const padded = padding === 'optional' && !text.endsWith('=') ? text + '='.repeat((4 - (text.length % 4)) % 4) : text;
  if (padded.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(padded, 'base64url');
  return encodeBase64Url(bytes) === padded ? bytes : undefined;
}
