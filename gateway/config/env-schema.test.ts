import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { GatewayEnvSchema, variableSchema } from './env-schema.ts';
import { environmentTable } from './env-table.ts';

const GATEWAY = fileURLToPath(new URL('..', import.meta.url));
const variables = Object.entries(GatewayEnvSchema.properties) as [string, TSchema & { description?: string; default?: unknown }][];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('GatewayEnvSchema', () => {
  it('documents every variable', () => {
    const undocumented = variables.filter(([, schema]) => (schema.description ?? '').length < 10).map(([name]) => name);
    expect(undocumented).toEqual([]);
    expect(JSON.stringify(variableSchema('ANTHROPIC_BASE_URL'))).toMatch(/"description":"Overrides one provider's base URL/);
  });

  it('has defaults its own bounds accept', () => {
    const refused = variables
      .filter(([, schema]) => schema.default !== undefined && !Value.Check(schema, schema.default))
      .map(([name]) => name);
    expect(refused).toEqual([]);
  });

  it('is the only way gateway code reads the environment: process.env is passed whole to the reader, never indexed', () => {
    const direct = sources(GATEWAY).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/process\.env\s*(\.\s*\w+|\[)/g)].map((match) => `${file}: ${match[0]}`),
    );
    expect(direct).toEqual([]);
  });

  it('gives the README a row per variable', () => {
    const table = environmentTable().split('\n');
    expect(table).toHaveLength(2 + variables.length + 1);
    for (const [name] of variables)
      expect(
        table.some((row) => row.startsWith(`| \`${name}\` |`)),
        name,
      ).toBe(true);
    expect(table.find((row) => row.startsWith('| `API_KEY_STALE_MS`'))).toBe(
      '| `API_KEY_STALE_MS` | `900000` | an integer >= 0 | How much longer a cached key keeps working while PostgreSQL cannot be reached (only when the lookup fails: a key the database says is revoked stops at once); 0: none. |',
    );
  });
});
