// Spec values the schema can only check loosely (a pattern) but the operator must parse: a URL
// that does not parse would throw in the middle of a reconcile, before any status is written, and
// be retried with ever longer backoff while the object said nothing. Checked first instead, pure,
// and reported as InvalidSpec naming the field.
import { SecretPurposes as P, StalledReasons, type SecretPurpose } from '../../api/v1alpha1/conditions.ts';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
import { redactUrl } from '../redact-url.ts';
import type { Blocker } from './observe.ts';

interface UrlField {
  /** The field's path, as `kubectl explain` and the API server's own errors spell it. */
  field: string;
  /** What the value is for: which component's condition says so. */
  purpose: SecretPurpose;
  value: string;
}

function urlFields(pd: PerpetualDeployment): UrlField[] {
  const spec = pd.spec;
  const fields: (UrlField | undefined)[] = [
    spec.vectorStore.type === 'external' && spec.vectorStore.external
      ? { field: 'spec.vectorStore.external.url', purpose: P.VectorStore, value: spec.vectorStore.external.url }
      : undefined,
    spec.cache.type === 'external' && spec.cache.external
      ? { field: 'spec.cache.external.url', purpose: P.Cache, value: spec.cache.external.url }
      : undefined,
    ...spec.models.map((m, i) =>
      m.baseURL ? { field: `spec.models[${String(i)}].baseURL`, purpose: P.Models, value: m.baseURL } : undefined,
    ),
  ];
  return fields.filter((f): f is UrlField => f !== undefined);
}

/** Why `value` is not a usable URL, or undefined when it is one. */
function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid URL';
  }
  return url.hostname ? undefined : 'has no host';
}

/** Every spec value that does not parse, with the field named and any credentials in it redacted. */
export function specProblems(pd: PerpetualDeployment): Blocker[] {
  return urlFields(pd).flatMap(({ field, purpose, value }) => {
    const problem = urlProblem(value);
    return problem ? [{ purpose, reason: StalledReasons.InvalidSpec, message: `${field} "${redactUrl(value)}" ${problem}.` }] : [];
  });
}
