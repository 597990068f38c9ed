// The end user a request speaks for. A server-side application uses one API key for all of its
// users, so the key's owner (the account) is not enough to scope per-user data: memory is scoped
// to (account, end user). The application names the end user in its own dialect (OpenAI's `user`
// or `safety_identifier`, Anthropic's `metadata.user_id`) or in the `x-perpetual-end-user` header;
// none means the account itself.
//
// Precedence: the header first, then the body fields in the order each dialect lists them. The
// header is Perpetual's own, dialect-independent statement of the scope (the same header works on
// /v1/memories), and a server in front of the app can set it without rewriting bodies; the body
// fields are often filled for other reasons (abuse reports). Every identifier given is checked,
// including those that lose, so a malformed one is never silently ignored.
import { TextDecoder } from 'node:util';
import { badRequest } from '../errors.ts';

export const END_USER_HEADER = 'x-perpetual-end-user';
/** OpenAI caps `user` at 256 characters as well; an id longer than that is a bug, not a user. */
export const MAX_END_USER_LENGTH = 256;

/** One place a request may name its end user, in precedence order. */
export interface EndUserSource {
  /** How the client spells the field, for the error message and `param` (e.g. "metadata.user_id"). */
  param: string;
  value: unknown;
}

// C0 and C1 control characters (tabs and newlines too): they end up in logs, Qdrant payloads and
// prompt-adjacent places, and no real user id holds one.
const CONTROL = /\p{Cc}/u;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Node hands header values over as latin1, one character per byte. A client that sends UTF-8
 * bytes there (the only sensible encoding for a non-ASCII id) gets back the id it meant, so the
 * header and the body name the same end user with the same string.
 */
export function headerText(raw: string | undefined): string | undefined {
  if (raw === undefined || !/[\u0080-\u00ff]/.test(raw)) return raw;
  try {
    return STRICT_UTF8.decode(Buffer.from(raw, 'latin1'));
  } catch {
    return raw;
  }
}

function check(source: EndUserSource): string | undefined {
  const { param, value } = source;
  // Absent, null and "" all mean "not given": SDKs and apps send an empty `user` when they have none.
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest(`The end user (${param}) must be a string.`, 'invalid_end_user', param);
  if (value.length > MAX_END_USER_LENGTH)
    throw badRequest(
      `The end user (${param}) may be at most ${MAX_END_USER_LENGTH} characters; got ${value.length}.`,
      'invalid_end_user',
      param,
    );
  if (CONTROL.test(value))
    throw badRequest(`The end user (${param}) must not contain control characters (newlines, tabs, NUL...).`, 'invalid_end_user', param);
  if (value.trim() === '') throw badRequest(`The end user (${param}) must not be blank.`, 'invalid_end_user', param);
  return value;
}

/** The first end user given, after checking every source; undefined means the account's own scope. */
export function resolveEndUser(sources: readonly EndUserSource[]): string | undefined {
  let chosen: string | undefined;
  for (const source of sources) {
    const value = check(source);
    chosen ??= value;
  }
  return chosen;
}

/** /v1/chat/completions: header, then `user`, then `safety_identifier`. */
export function openAIEndUser(header: string | undefined, body: Readonly<Record<string, unknown>>): string | undefined {
  return resolveEndUser([
    { param: END_USER_HEADER, value: headerText(header) },
    { param: 'user', value: body.user },
    { param: 'safety_identifier', value: body.safety_identifier },
  ]);
}

/** /v1/messages: header, then `metadata.user_id`. */
export function anthropicEndUser(header: string | undefined, metadata: { user_id?: unknown } | undefined): string | undefined {
  return resolveEndUser([
    { param: END_USER_HEADER, value: headerText(header) },
    { param: 'metadata.user_id', value: metadata?.user_id },
  ]);
}

/** /v1/memories: header, then the `end_user` query parameter, then (search) the body's `end_user`. */
export function memoriesEndUser(header: string | undefined, query: unknown, body?: unknown): string | undefined {
  return resolveEndUser([
    { param: END_USER_HEADER, value: headerText(header) },
    { param: 'end_user', value: query },
    { param: 'end_user', value: body },
  ]);
}
