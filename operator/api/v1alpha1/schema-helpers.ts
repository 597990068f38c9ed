// Small builders for OpenAPI v3 schemas that Kubernetes accepts as *structural* schemas.
// TypeBox gives us a static type and a JSON Schema from one definition; these helpers cover the
// shapes where TypeBox's default output (anyOf/const unions, patternProperties) is not structural.
import Type, { type TSchema, type TUnsafe } from 'typebox';

/** Options every field accepts; `description` becomes what `kubectl explain` prints. */
export interface FieldOptions {
  description: string;
  default?: unknown;
  [keyword: string]: unknown;
}

/** A CEL rule checked by the API server (`x-kubernetes-validations`). */
export interface CelRule {
  rule: string;
  message: string;
  /** Points the error at a field, e.g. `.maxReplicas`, so the message names it. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** A string restricted to `values`; emitted as a plain `enum`, which structural schemas accept. */
export function stringEnum<const T extends readonly string[]>(values: T, options: FieldOptions): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** A map of string to string (labels, annotations, nodeSelector). */
export function stringMap(options: FieldOptions): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string' },
    ...options,
  });
}

/** A Kubernetes resource quantity such as `500m`, `4Gi` or `2`. */
export function quantity(options: FieldOptions): TUnsafe<string | number> {
  return Type.Unsafe<string | number>({
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
    ...options,
  });
}

/**
 * An object whose contents the API server keeps as given (e.g. a Kubernetes `Affinity`).
 * Used only where the full upstream schema would add thousands of lines for no validation gain.
 */
export function freeformObject<T extends object>(options: FieldOptions): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...options });
}

/** Attaches CEL rules to a schema without changing its static type. */
export function withRules<S extends TSchema>(schema: S, rules: CelRule[]): S {
  return { ...schema, 'x-kubernetes-validations': rules };
}
