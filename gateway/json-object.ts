// The one check every reader of untrusted JSON (request bodies, upstream answers) starts from: a
// JSON object, not null, not an array.
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
