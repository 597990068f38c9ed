// Database errors reach logs and, through the error middleware, sometimes clients. A DSN carries a
// password, and Node puts the whole string into some errors (an invalid URL's `input`), so every
// error that may have seen a DSN is rebuilt from a scrubbed message before it leaves this module.
import { sqlState } from './pg-errors.ts';

const URL_CREDENTIALS = /\b(postgres(?:ql)?:\/\/)[^@\s/]+@/gi;
const KEYWORD_PASSWORD = /\b(password\s*=\s*)(?:'[^']*'|\S+)/gi;

/** `text` with any DSN, password or URL credentials replaced by `***`. */
export function redactSecrets(text: string, dsn?: string): string {
  let out = text;
  for (const secret of secretsOf(dsn)) out = out.split(secret).join('***');
  return out.replace(URL_CREDENTIALS, '$1***@').replace(KEYWORD_PASSWORD, '$1***');
}

/** The DSN itself and its password, raw and percent-decoded, longest first. */
function secretsOf(dsn: string | undefined): string[] {
  if (!dsn) return [];
  const secrets = [dsn];
  try {
    const password = new URL(dsn).password;
    if (password) secrets.push(password, safeDecode(password));
  } catch {
    // Not a URL: the whole string is already on the list.
  }
  return [...new Set(secrets)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * An error fit to log: the message scrubbed, the SQLSTATE or errno code kept (callers branch on
 * it), and nothing else carried over: no `cause`, no `input`, no client object.
 */
export class DatabaseError extends Error {
  /** SQLSTATE (e.g. "23505") or a Node errno code (e.g. "ECONNREFUSED"), when there was one. */
  readonly code: string | undefined;

  constructor(message: string, code?: string) {
    super(message);
    this.name = 'DatabaseError';
    this.code = code;
  }
}

/** Rebuilds `err` as a DatabaseError whose message holds no secret, prefixed with `context`. */
export function scrubError(err: unknown, options: { dsn?: string; context?: string } = {}): DatabaseError {
  const raw = err instanceof Error ? err.message : String(err);
  const message = redactSecrets(raw, options.dsn);
  return new DatabaseError(options.context ? `${options.context}: ${message}` : message, sqlState(err));
}
