// Response header values that come from a request or an upstream (a model name, a retry hint, a
// memory id) must never make `res.setHeader` throw: Node refuses control characters and anything
// past U+00FF with ERR_INVALID_CHAR, and by the time most of these headers are set the upstream has
// been called and paid. Every such value goes through safeHeaderValue: visible ASCII passes as it
// is (so well-formed values are unchanged), everything else is percent-encoded as UTF-8, which
// `decodeURIComponent` reverses. `%` itself is encoded too, so the encoding is never ambiguous.
const VISIBLE_ASCII_NO_PERCENT = /^[\x21-\x24\x26-\x7e]*$/;

function encodeByte(byte: number): string {
  const visible = byte >= 0x21 && byte <= 0x7e && byte !== 0x25;
  return visible ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** `value` as a header value Node always accepts; unchanged when it is visible ASCII without `%`. */
export function safeHeaderValue(value: string): string {
  if (VISIBLE_ASCII_NO_PERCENT.test(value)) return value;
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) encoded += encodeByte(byte);
  return encoded;
}

/** Sets each header with its value made safe. Names are ours (constants), so only values are encoded. */
export function setSafeHeaders(res: { setHeader(name: string, value: string): unknown }, headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, safeHeaderValue(value));
}
