// What is wrong with a value, one problem per field, from TypeBox's errors: the file
// (PERPETUAL_CONFIG) and the environment are both checked this way, and each words the problems
// for its reader (a field path in the file, a variable name in the environment).
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { pointerSegments } from '../json-pointer.ts';

export interface SchemaProblem {
  /** Where, as property names and list indexes: ['models', '2', 'pricing']. */
  path: string[];
  /** The JSON Schema keyword that failed (`type`, `enum`, `minimum`, ...), or `required` / `additionalProperties` for a field missing or unknown. */
  keyword: string;
  params: { type?: string; allowedValues?: unknown[]; limit?: number };
  /** TypeBox's own wording, for keywords a reader has no better words for. */
  message: string;
}

/** The problems of `value`, in the order TypeBox finds them; [] when it fits. */
export function schemaProblems(schema: TSchema, value: unknown): SchemaProblem[] {
  const problems = new Map<string, SchemaProblem>();
  const add = (problem: SchemaProblem): void => {
    problems.set(JSON.stringify(problem.path), problem);
  };
  for (const error of Value.Errors(schema, value)) {
    const path = pointerSegments(error.instancePath);
    const params = error.params as { requiredProperties?: string[]; additionalProperties?: string[] } & SchemaProblem['params'];
    if (error.keyword === 'boolean') continue; // the schema-is-false twin of additionalProperties, below
    if (error.keyword === 'required')
      for (const key of params.requiredProperties ?? [])
        add({ path: [...path, key], keyword: 'required', params: {}, message: 'required' });
    else if (error.keyword === 'additionalProperties')
      for (const key of params.additionalProperties ?? [])
        add({ path: [...path, key], keyword: 'additionalProperties', params: {}, message: 'unknown field' });
    // The first problem of a field is the one to fix (a number where an enum is wanted fails both).
    else if (!problems.has(JSON.stringify(path))) add({ path, keyword: error.keyword, params, message: error.message });
  }
  return [...problems.values()];
}
