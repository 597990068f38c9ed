// The one place errors become responses, in OpenAI's error shape unless a route mounts its own
// dialect (the Anthropic-compatible /v1/messages does). Known failures arrive as GatewayError;
// express's body parser and router report oversized or malformed JSON and undecodable paths with
// their own errors, and PostgreSQL refuses values it cannot store: all of those are the caller's
// input, mapped here to a 4xx. A database that cannot be reached is a 503 with Retry-After.
// Anything else is a bug: logged with the request id, answered with a generic 500.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { GatewayError, badRequest, conflict, isGatewayError } from '../errors.ts';
import { isDatabaseUnavailable, isUniqueViolation, sqlState } from '../db/pg-errors.ts';
import { databaseUnavailable } from '../keys/database-unavailable.ts';
import { requestIdOf } from './request-id.ts';
import { setSafeHeaders } from './safe-headers.ts';

interface BodyParserError {
  type: string;
  status?: number;
  limit?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return typeof err === 'object' && err !== null && 'type' in err && typeof err.type === 'string' && 'status' in err;
}

/** Maps any thrown value to the GatewayError the client will see. */
export function toGatewayError(err: unknown, requestId: string): GatewayError {
  if (isGatewayError(err)) return err;
  if (isBodyParserError(err)) {
    if (err.type === 'entity.too.large') {
      return new GatewayError(`Request body too large: the limit is ${String(err.limit ?? '')} bytes.`, {
        status: 413,
        type: 'invalid_request_error',
        code: 'request_too_large',
      });
    }
    if (err.type === 'entity.parse.failed') return badRequest('Request body is not valid JSON.', 'invalid_json');
    if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported')
      return badRequest('Request body must be UTF-8 JSON.', 'unsupported_encoding');
    return badRequest('Request body could not be read.', 'invalid_body');
  }
  // express's router when a path segment is not valid percent-encoding (`/v1/memories/%ZZ`).
  if (err instanceof URIError)
    return badRequest('The request path is not valid percent-encoding (a "%" must be followed by two hex digits).', 'invalid_path');
  // Routes that read or write PostgreSQL directly (usage, keys, admin) during a database outage.
  if (isDatabaseUnavailable(err)) return databaseUnavailable('Cannot answer this request now');
  // A value PostgreSQL refused (SQLSTATE class 22: NUL bytes, overlong text, malformed numbers):
  // routes validate what they store, so this is a backstop that keeps the caller's mistake a 4xx.
  if (sqlState(err)?.startsWith('22'))
    return badRequest(
      'A value in the request cannot be stored (a NUL byte, an overlong text or a malformed number); check the fields sent.',
      'invalid_value',
    );
  if (isUniqueViolation(err)) return conflict('That already exists.', 'already_exists');
  return new GatewayError(`Internal error. Quote request id ${requestId} when reporting it.`, {
    status: 500,
    type: 'server_error',
    code: 'internal_error',
  });
}

/** How errors look on the wire in one API dialect; status and headers are the same in all. */
export interface ErrorDialect {
  body(error: GatewayError, requestId: string): unknown;
  /** The last bytes of an event stream that fails after it started, when the status is gone. */
  streamTail(error: GatewayError, requestId: string): string;
}

export const openAIErrors: ErrorDialect = {
  body: (error) => error.toJSON(),
  streamTail: (error) => `data: ${JSON.stringify(error.toJSON())}\n\n`,
};

export function errorHandler(log: Logger, dialect: ErrorDialect = openAIErrors) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    const requestId = requestIdOf(res);
    const error = toGatewayError(err, requestId);
    if (error.status >= 500 && !isGatewayError(err)) log.error({ requestId, err, path: req.path }, 'Unhandled error');
    // The database backstop above may also hide a route that forgot to validate: say which.
    else if (sqlState(err) !== undefined && !isGatewayError(err))
      log.warn({ requestId, sqlState: sqlState(err), path: req.path }, 'Database refused a value from the request');
    if (res.headersSent) {
      // A stream already started: the status is gone, so end it with an error event the SDKs understand.
      if (!res.writableEnded) res.end(dialect.streamTail(error, requestId));
      next();
      return;
    }
    res.locals.errorType = error.type;
    // Retry-After may come from the upstream as it sent it.
    setSafeHeaders(res, error.headers);
    res.status(error.status).json(dialect.body(error, requestId));
  };
}
