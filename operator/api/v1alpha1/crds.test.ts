// Invariants of the generated schemas that the API server does not check for us.
import { describe, expect, it } from 'vitest';
import { customResourceDefinitions } from './crds.ts';

type Schema = Record<string, unknown>;

interface Visit {
  path: string;
  schema: Schema;
  required: boolean;
}

/** Every property schema below `schema`, with its dotted path. */
function properties(schema: Schema, path = ''): Visit[] {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const visits: Visit[] = [];
  for (const [name, child] of Object.entries(props)) {
    const childPath = `${path}.${name}`;
    visits.push({ path: childPath, schema: child, required: required.has(name) });
    visits.push(...properties(child, childPath));
    const items = child.items as Schema | undefined;
    if (items) visits.push(...properties(items, `${childPath}[]`));
  }
  return visits;
}

const crds = customResourceDefinitions();
const versionOf = (crd: (typeof crds)[number]) =>
  (crd.spec.versions as { schema: { openAPIV3Schema: Schema }; additionalPrinterColumns: { name: string }[] }[])[0]!;

describe.each(crds.map((crd) => [crd.metadata?.name ?? '', crd] as const))('%s', (_name, crd) => {
  const root = versionOf(crd).schema.openAPIV3Schema;
  const fields = properties((root.properties as Record<string, Schema>).spec!, 'spec').concat(
    properties((root.properties as Record<string, Schema>).status!, 'status'),
  );

  it('has a description on every field (kubectl explain shows it)', () => {
    expect(fields.filter((f) => typeof f.schema.description !== 'string' || f.schema.description === '').map((f) => f.path)).toEqual([]);
  });

  it('never requires a field that has a default', () => {
    expect(fields.filter((f) => f.required && f.schema.default !== undefined).map((f) => f.path)).toEqual([]);
  });

  it('uses only structural constructs (anyOf only for int-or-string)', () => {
    const offending = fields.filter((f) => f.schema.anyOf !== undefined && f.schema['x-kubernetes-int-or-string'] !== true);
    expect(offending.map((f) => f.path)).toEqual([]);
  });

  it('has a message on every CEL rule', () => {
    const rules = [root, ...fields.map((f) => f.schema)].flatMap((s) => (s['x-kubernetes-validations'] ?? []) as { message?: string }[]);
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.filter((r) => !r.message)).toEqual([]);
  });

  it('is in the perpetual category with a short name', () => {
    const names = crd.spec.names as { categories: string[]; shortNames: string[] };
    expect(names.categories).toEqual(['perpetual']);
    expect(names.shortNames).toHaveLength(1);
  });
});
