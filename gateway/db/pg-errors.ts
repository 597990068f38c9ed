// PostgreSQL reports what went wrong as a SQLSTATE in `code`; callers branch on it, never on text.

/** The SQLSTATE (or Node errno code) of a pg error, if it has one. */
export function sqlState(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** A UNIQUE or PRIMARY KEY violation: e.g. an email or key hash that already exists. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

/** A FOREIGN KEY violation: e.g. a row for a user that no longer exists. */
export function isForeignKeyViolation(err: unknown): boolean {
  return sqlState(err) === '23503';
}

/** Socket errors of a server that cannot be reached or went away (refused, reset, timed out, no route, no DNS answer). */
const UNREACHABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * SQLSTATEs of a server that is not taking work right now: class 08 connection exception, class
 * 53 insufficient resources (too many connections, disk full), 57P01 admin shutdown, 57P02 crash
 * shutdown, 57P03 cannot connect now (starting up or in recovery), 57014 canceled by
 * statement_timeout (a lookup by primary key that times out means an overloaded server).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57014']);
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(['08', '53']);

/** node-postgres and pg-pool report a lost or never-made connection without any code. */
const UNREACHABLE_MESSAGES = [
  /^timeout exceeded when trying to connect/i,
  /^Connection terminated/i,
  /connection error and is not queryable/i,
];

/**
 * The database is unreachable or refusing work for now (as opposed to a bad query or a bug): the
 * caller should answer 503 and let the client retry. Looks through `cause` and an AggregateError's
 * `errors` too, since a connection attempt to several addresses fails with one of those.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const code = sqlState(err);
  if (
    code &&
    (UNREACHABLE_ERRNOS.has(code) ||
      UNAVAILABLE_SQLSTATES.has(code) ||
      (/^\d/.test(code) && UNAVAILABLE_SQLSTATE_CLASSES.has(code.slice(0, 2))))
  )
    return true;
  if (err instanceof Error && UNREACHABLE_MESSAGES.some((pattern) => pattern.test(err.message))) return true;
  if (err instanceof AggregateError && err.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return 'cause' in err && isDatabaseUnavailable(err.cause, depth + 1);
}
