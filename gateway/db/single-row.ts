// For statements that always return exactly one row (INSERT ... RETURNING, aggregates).

export function singleRow<T>(rows: T[]): T {
  const row = rows[0];
  if (row === undefined) throw new Error('the statement returned no row');
  return row;
}
