// Reads the gateway's environment through its schema (env-schema.ts): each variable the gateway
// reads is decoded from its text (env-decoders.ts), the defaults fill what is unset, and the
// result is checked. Every variable that is wrong is named in one error, each with what a valid
// value looks like, so one restart shows all there is to fix; a secret's value is never shown.
import Value from 'typebox/value';
import { ConfigError } from './config-error.ts';
import { decodeList, decoderFor } from './env-decoders.ts';
import { GatewayEnvSchema, variableSchema, type GatewayEnv } from './env-schema.ts';
import { schemaProblems, type SchemaProblem } from './schema-problems.ts';

export type RawEnv = Readonly<Record<string, string | undefined>>;

/** The keywords and annotations of a variable's schema that the messages read. */
export interface Annotated {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  items?: Annotated;
  'x-expected'?: string;
  'x-secret'?: boolean;
}

/**
 * The environment as the schema describes it, every variable checked (serve). `required` names
 * variables this command cannot do without (serve needs API_KEY_ENCRYPTION_KEY; the schema cannot
 * say so, since migrate does not), checked with the others.
 */
export function readEnv<const R extends keyof GatewayEnv = never>(
  raw: RawEnv,
  required: readonly R[] = [],
): GatewayEnv & Required<Pick<GatewayEnv, R>> {
  return read(raw, undefined, required) as GatewayEnv & Required<Pick<GatewayEnv, R>>;
}

/**
 * Only the variables a command names, for one that reads a few: another variable's mistake (one
 * meant for serve, vitest's MODE=test in a child's inherited environment) does not stop it.
 */
export function readVariables<const R extends keyof GatewayEnv = never, const O extends keyof GatewayEnv = never>(
  raw: RawEnv,
  wanted: { required?: readonly R[]; optional?: readonly O[] },
): Required<Pick<GatewayEnv, R>> & Pick<GatewayEnv, O> {
  const required = wanted.required ?? [];
  return read(raw, [...required, ...(wanted.optional ?? [])], required) as Required<Pick<GatewayEnv, R>> & Pick<GatewayEnv, O>;
}

function read(raw: RawEnv, names: readonly string[] | undefined, required: readonly string[]): unknown {
  const values: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(raw)) {
    const schema = variableSchema(name);
    // A blank variable is an unset one (a Deployment's `value: ""`, `FOO= node main.ts`).
    const trimmed = text?.trim();
    if (schema && trimmed && (!names || names.includes(name))) values[name] = decoderFor(schema)(trimmed);
  }
  const env: unknown = Value.Default(GatewayEnvSchema, values);
  const schema = required.length === 0 ? GatewayEnvSchema : { ...GatewayEnvSchema, required: [...GatewayEnvSchema.required, ...required] };
  const problems = schemaProblems(schema, env);
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => sentence(problem, raw)).join(' '));
  return env;
}

/** One problem as a sentence naming the variable: what it must be, and what it was unless that is a secret. */
function sentence({ path: [name = '', index], keyword }: SchemaProblem, raw: RawEnv): string {
  const schema = (variableSchema(name) ?? {}) as Annotated;
  if (keyword === 'required') return `${name} is required: ${expected(schema)}.`;
  if (index !== undefined) {
    // One item of a list: the item is what to fix, not the whole value.
    const item = decodeList(raw[name] ?? '') as string[];
    return `${name}: ${JSON.stringify(item[Number(index)])} is not ${expected(schema.items ?? {})}.`;
  }
  if (schema['x-secret']) return `${name} must be ${expected(schema)} (the value is withheld).`;
  return `${name} must be ${expected(schema)}, got ${JSON.stringify(raw[name])}.`;
}

/** A valid value in words: the schema's own (`x-expected`) or read from its keywords. Also the environment table's column. */
export function expected(schema: Annotated): string {
  if (schema['x-expected']) return schema['x-expected'];
  if (schema.enum) return `one of ${schema.enum.join(', ')}`;
  if (schema.type === 'boolean') return 'true or false';
  if (schema.type === 'integer' || schema.type === 'number')
    return `${schema.type === 'integer' ? 'an integer' : 'a number'}${bounds(schema)}`;
  return 'a non-empty string';
}

function bounds({ minimum, maximum }: Annotated): string {
  if (minimum !== undefined && maximum !== undefined) return ` from ${String(minimum)} to ${String(maximum)}`;
  if (minimum !== undefined) return ` >= ${String(minimum)}`;
  return maximum === undefined ? '' : ` <= ${String(maximum)}`;
}
