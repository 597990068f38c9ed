// Short labels that callers choose (an email, a key name) end up in PostgreSQL text columns, in
// JSON responses and in the logs. PostgreSQL refuses NUL outright (a 500 if it got that far), and
// control characters or unpaired surrogates in a label are never intended. So a label is checked
// at the route, where the 400 can name the field, instead of failing in the database.
import { badRequest } from '../errors.ts';

/** C0/C1 control characters (NUL, newline, escape, ...). */
const CONTROL = /\p{Cc}/u;

/** Why `value` cannot be a label of at most `maxLength` characters, or undefined when it can. */
export function labelProblem(value: string, maxLength: number): string | undefined {
  if (value.length > maxLength) return `must be at most ${maxLength} characters (got ${value.length})`;
  if (CONTROL.test(value)) return 'must not contain control characters (NUL, newlines, tabs, escapes)';
  if (!value.isWellFormed()) return 'must be well-formed Unicode (it holds an unpaired surrogate)';
  return undefined;
}

/** Returns `value` when it is a string label of at most `maxLength` characters; otherwise throws the 400 naming `field`. */
export function checkLabel(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== 'string') throw badRequest(`"${field}" must be a string.`, 'invalid_value', field);
  const problem = labelProblem(value, maxLength);
  if (problem) throw badRequest(`"${field}" ${problem}.`, 'invalid_value', field);
  return value;
}
