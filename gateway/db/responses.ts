// The `responses` table: responses of POST /v1/responses kept for GET, input_items and
// previous_response_id. Every read and delete names the account AND the end user, so a row is
// reachable only from the scope that created it; "not there" and "someone else's" look the same.
import type { Queryable } from './pool.ts';
import { isUuid } from './uuid.ts';

/** Whose responses: the account (the API key's owner) and the end user within it ('' for none). */
export interface ResponseScope {
  userId: string;
  endUser: string | undefined;
}

/** One stored response; the JSON values are kept as the API returned and received them. */
export interface StoredResponse {
  id: string;
  scope: ResponseScope;
  previousResponseId: string | null;
  /** The whole context the response answered: earlier turns of its chain, then its own input. */
  inputItems: unknown[];
  /** The response object, as returned to the client. */
  response: Record<string, unknown>;
}

interface ResponseRow {
  id: string;
  user_id: string;
  end_user: string;
  previous_response_id: string | null;
  input_items: string;
  response: string;
}

function endUserColumn(scope: ResponseScope): string {
  return scope.endUser ?? '';
}

export async function insertResponse(db: Queryable, stored: StoredResponse): Promise<void> {
  // JSON.stringify escapes NUL as the six characters \u0000, which a TEXT column stores as is.
  await db.query(
    'INSERT INTO responses (id, user_id, end_user, previous_response_id, input_items, response) VALUES ($1, $2, $3, $4, $5, $6)',
    [
      stored.id,
      stored.scope.userId,
      endUserColumn(stored.scope),
      stored.previousResponseId,
      JSON.stringify(stored.inputItems),
      JSON.stringify(stored.response),
    ],
  );
}

export async function getResponse(db: Queryable, scope: ResponseScope, id: string): Promise<StoredResponse | null> {
  if (!isUuid(scope.userId)) return null;
  const { rows } = await db.query<ResponseRow>(
    'SELECT id, user_id, end_user, previous_response_id, input_items, response FROM responses WHERE id = $1 AND user_id = $2 AND end_user = $3',
    [id, scope.userId, endUserColumn(scope)],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    scope,
    previousResponseId: row.previous_response_id,
    inputItems: JSON.parse(row.input_items) as unknown[],
    response: JSON.parse(row.response) as Record<string, unknown>,
  };
}

/** True when the scope had a response with this id (now gone). */
export async function deleteResponse(db: Queryable, scope: ResponseScope, id: string): Promise<boolean> {
  if (!isUuid(scope.userId)) return false;
  const { rowCount } = await db.query('DELETE FROM responses WHERE id = $1 AND user_id = $2 AND end_user = $3', [
    id,
    scope.userId,
    endUserColumn(scope),
  ]);
  return rowCount === 1;
}

/** Retention: deletes responses older than `days` days, `batchSize` rows per statement. */
export async function deleteResponsesOlderThan(db: Queryable, days: number, batchSize = 10_000): Promise<number> {
  if (!Number.isFinite(days) || days < 1) throw new RangeError('retention must be at least one day');
  let deleted = 0;
  for (;;) {
    const { rowCount } = await db.query(
      'DELETE FROM responses WHERE id IN (SELECT id FROM responses WHERE created_at < now() - make_interval(days => $1) LIMIT $2)',
      [Math.trunc(days), batchSize],
    );
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return deleted;
  }
}
