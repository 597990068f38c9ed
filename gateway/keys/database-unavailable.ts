// A key lookup that failed because PostgreSQL cannot be reached is an outage of a dependency, not
// a bug: the client gets a 503 with Retry-After that says so, as for the gateway's other
// dependency outages (Redis with RATE_LIMIT_ON_REDIS_DOWN=deny, the vector store, a ModelServer
// scaling from zero), never a bare 500. Any other failure is left as it is (a 500, logged).
import { isDatabaseUnavailable } from '../db/pg-errors.ts';
import { unavailable, type GatewayError } from '../errors.ts';

/** What clients are told to wait: about as long as a PostgreSQL restart or a managed failover's switch. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * `err` as the client should see it. `problem` says what could not be done, e.g. "Cannot check
 * this API key"; the sentence goes on to say why and what to do.
 */
export function keyLookupFailure(err: unknown, problem: string): unknown {
  return isDatabaseUnavailable(err) ? databaseUnavailable(problem) : err;
}

/** The 503 for `problem` (e.g. "Cannot check this API key") while PostgreSQL cannot be reached. */
export function databaseUnavailable(problem: string): GatewayError {
  return unavailable(
    `${problem}: the gateway cannot reach its database (PostgreSQL). Retry after ${String(DATABASE_RETRY_AFTER_SECONDS)} s; ` +
      "if this lasts, the gateway's operators should check the database (GET /health reports it).",
    'database_unavailable',
    { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
  );
}
