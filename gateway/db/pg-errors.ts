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
