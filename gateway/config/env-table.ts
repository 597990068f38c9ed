// The gateway's environment variables as a Markdown table, from the schema (env-schema.ts), for
// the README: `node gateway/config/env-table.ts`. The "Valid values" column is worded as the
// errors word it (read-env.ts), so the documentation and the refusal say the same thing.
import type { TSchema } from 'typebox';
import { GatewayEnvSchema, PROVIDER_BASE_URL_PATTERN, variableSchema } from './env-schema.ts';
import { expected, type Annotated } from './read-env.ts';

type Described = Annotated & { description?: string; default?: unknown };

function defaultText(schema: Described): string {
  if (schema.default === undefined) return '';
  if (Array.isArray(schema.default)) return schema.default.length === 0 ? 'empty' : schema.default.join(',');
  return `\`${JSON.stringify(schema.default).replace(/^"|"$/g, '')}\``;
}

/** `|` would end a cell early. */
const cell = (text: string): string => text.replace(/\|/g, '\\|');

function row(name: string, schema: TSchema): string {
  const described = schema as Described;
  const description = `${described.description ?? ''}${described['x-secret'] ? ' **Secret**: its value is never shown in configuration errors.' : ''}`;
  const valid = described.type === 'array' ? `comma-separated: each ${expected(described.items ?? {})}` : expected(described);
  return `| \`${name}\` | ${cell(defaultText(described))} | ${cell(valid)} | ${cell(description)} |`;
}

export function environmentTable(): string {
  const providerBaseUrl = variableSchema('OPENAI_BASE_URL');
  if (!providerBaseUrl) throw new Error(`${PROVIDER_BASE_URL_PATTERN} has no schema`);
  return [
    '| Variable | Default | Valid values | What it does |',
    '| --- | --- | --- | --- |',
    ...Object.entries(GatewayEnvSchema.properties).map(([name, schema]) => row(name, schema)),
    row('<PROVIDER>_BASE_URL', providerBaseUrl),
  ].join('\n');
}

if (import.meta.main) console.log(environmentTable());
