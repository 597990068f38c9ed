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

// The parts of an image reference, as distribution/reference's regular expressions spell them.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}';
/**
 * An OCI image reference as containerd and Docker's distribution/reference parse it:
 * `[registry[:port]/]path[:tag][@digest]`, e.g. `vllm/vllm-openai:v0.11.0`,
 * `registry.example:5000/team/gateway@sha256:...`. No whitespace, no upper-case path: the kubelet
 * would only say InvalidImageName on a pod, after the object was accepted and reported progress.
 */
export const IMAGE_REFERENCE_PATTERN = `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`;

/** A container image reference field (see IMAGE_REFERENCE_PATTERN). */
export function imageReference(options: FieldOptions) {
  return Type.String({ minLength: 1, maxLength: 512, pattern: IMAGE_REFERENCE_PATTERN, ...options });
}

/**
 * A Kubernetes core/v1 Affinity. Its three parts are typed as objects, so a value of the wrong
 * shape (`nodeAffinity: "x"`) is refused with the field named instead of silently stored as `{}`;
 * their contents are the upstream schema's thousands of lines, kept as given and checked by the
 * API server when the pod template is applied.
 */
export function affinity<T extends object>(options: FieldOptions): TUnsafe<T> {
  const part = (description: string) => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description });
  return Type.Unsafe<T>({
    type: 'object',
    properties: {
      nodeAffinity: part('Node affinity scheduling rules for the pods (core/v1 NodeAffinity).'),
      podAffinity: part('Rules to co-locate the pods with other pods (core/v1 PodAffinity).'),
      podAntiAffinity: part('Rules to keep the pods away from other pods (core/v1 PodAntiAffinity).'),
    },
    ...options,
  });
}

/** Attaches CEL rules to a schema without changing its static type. */
export function withRules<S extends TSchema>(schema: S, rules: CelRule[]): S {
  return { ...schema, 'x-kubernetes-validations': rules };
}
