// How deeply a request body's JSON may nest. JSON.parse copes with any depth, but everything
// after it recurses: JSON.stringify when the body is forwarded or logged overflows the stack
// somewhere past ten thousand levels, and that surfaced as a 500. No API the gateway speaks
// needs more than a few dozen levels (a chat request with a nested JSON schema is about 20), so
// bodies deeper than the limit are refused with a 400 before they are parsed at all.
import { badRequest } from '../errors.ts';

export const MAX_JSON_DEPTH = 128;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * The deepest nesting of objects and arrays in `json` (UTF-8 bytes), stopping early once it
 * passes `limit`. Brackets inside strings do not count. Malformed JSON gives some number; the
 * parser reports it afterwards.
 */
export function jsonDepth(json: Uint8Array, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth++;
      deepest = Math.max(deepest, depth);
      if (deepest > limit) return deepest;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    }
  }
  return deepest;
}

/** For express.json's `verify` hook: throws the 400 when the raw body nests deeper than allowed. */
export function refuseDeepJson(_req: unknown, _res: unknown, body: Buffer): void {
  if (jsonDepth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw badRequest(
      `Request body is nested more than ${MAX_JSON_DEPTH} levels deep; no API of this gateway needs that many. Flatten the JSON.`,
      'json_too_deep',
    );
  }
}
