// Ids arrive from URL paths. PostgreSQL rejects a malformed uuid with an error (22P02); a
// repository answers "no such row" instead, which is what the caller means to ask.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
