// The OpenAPI 3.1 document, built from the route table (route-table.ts) and nothing else: pure, so
// a test can check its shape and the gateway can build it once at start. Request bodies are the
// TypeBox schemas the routes check with (OpenAPI 3.1 takes JSON Schema 2020-12 as it is), shared
// under components/schemas by title; the annotations only the body check reads (x-error*,
// x-model-name) are left out.
import type { TSchema } from 'typebox';
import type { Auth, ErrorDialect, RouteDoc } from './route-table.ts';

type Json = Record<string, unknown>;

export interface DocumentInfo {
  version: string;
  /** The API prefix, shown in the description. */
  prefix: string;
}

const SECURITY_SCHEMES: Record<Exclude<Auth, 'none'>, Json> = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description: 'A Perpetual API key (pp_live_...) as "Authorization: Bearer <key>"; Anthropic clients may send it as x-api-key.',
  },
  userJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "The user's Supabase session token." },
  admin: { type: 'http', scheme: 'bearer', description: 'The admin token from the operator-managed Secret (or the x-admin-token header).' },
};

const OPENAI_ERROR: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'code'],
      properties: {
        message: { type: 'string', description: 'What went wrong and how to fix it.' },
        type: { type: 'string' },
        param: { type: ['string', 'null'], description: 'The field at fault, e.g. messages[0].role.' },
        code: { type: 'string', description: 'Stable, machine-readable reason.' },
      },
    },
  },
};

const ANTHROPIC_ERROR: Json = {
  type: 'object',
  required: ['type', 'error'],
  properties: {
    type: { const: 'error' },
    error: {
      type: 'object',
      required: ['type', 'message'],
      properties: { type: { type: 'string' }, message: { type: 'string', description: 'Names the field at fault, e.g. messages.0.role.' } },
    },
    request_id: { type: 'string' },
  },
};

/** A schema as JSON, without what only the body check reads. */
function published(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(published);
  if (typeof schema !== 'object' || schema === null) return schema;
  const entries = Object.entries(schema).filter(([key]) => !key.startsWith('x-error') && key !== 'x-model-name' && !key.startsWith('~'));
  return Object.fromEntries(entries.map(([key, value]) => [key, published(value)]));
}

function errorAnswers(route: RouteDoc): Record<string, Json> {
  const ref = { $ref: `#/components/responses/${route.errors === 'anthropic' ? 'AnthropicError' : 'Error'}` };
  const answers: Record<string, Json> = {};
  if (route.body || route.query || route.path.includes('{')) answers['400'] = ref;
  if (route.auth !== 'none') answers['401'] = ref;
  if (route.auth === 'apiKey') {
    answers['403'] = ref;
    answers['429'] = ref;
  }
  if (route.path.includes('{')) answers['404'] = ref;
  return answers;
}

function operation(route: RouteDoc, schemaRefs: Map<TSchema, string>): Json {
  const parameters = [
    ...[...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...(route.query ?? []).map((q) => ({
      name: q.name,
      in: 'query',
      required: false,
      description: q.description,
      schema: published(q.schema),
    })),
  ];
  const content = route.produces
    ? { [route.produces]: {} }
    : { 'application/json': {}, ...(route.streams ? { 'text/event-stream': {} } : {}) };
  const success = Object.fromEntries(
    Object.entries(route.responses).map(([status, description]) => [
      status,
      { description, ...(status.startsWith('2') ? { content } : {}) },
    ]),
  );
  const body = route.body ? schemaRefs.get(route.body) : undefined;
  return {
    operationId: `${route.method}${route.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: route.summary,
    tags: [route.tag],
    ...(route.auth === 'none' ? { security: [] } : { security: [{ [route.auth]: [] }] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body
      ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${body}` } } } } }
      : {}),
    responses: { ...success, ...errorAnswers(route) },
  };
}

function titleOf(schema: TSchema): string {
  const title = (schema as { title?: unknown }).title;
  if (typeof title !== 'string') throw new Error('A request schema in the route table needs a title (its name in components/schemas).');
  return title;
}

export function buildOpenApiDocument(routes: readonly RouteDoc[], info: DocumentInfo): Json {
  const schemaRefs = new Map<TSchema, string>();
  const schemas: Json = {};
  for (const route of routes) {
    if (!route.body || schemaRefs.has(route.body)) continue;
    const title = titleOf(route.body);
    schemaRefs.set(route.body, title);
    schemas[title] = published(route.body);
  }
  const paths: Record<string, Json> = {};
  for (const route of [...routes].sort((a, b) => a.path.localeCompare(b.path))) {
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route, schemaRefs) };
  }
  const usedSchemes = [...new Set(routes.map((r) => r.auth))].filter((auth): auth is Exclude<Auth, 'none'> => auth !== 'none').sort();
  const errorResponse = (dialect: ErrorDialect): Json => ({
    description: `An error in ${dialect === 'openai' ? "OpenAI's" : "Anthropic's"} shape, naming the field at fault.`,
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${dialect === 'openai' ? 'Error' : 'AnthropicError'}` } } },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Perpetual gateway',
      version: info.version,
      description:
        `An OpenAI- and Anthropic-compatible LLM gateway with per-user long-term memory. The OpenAI and Anthropic APIs are under ${info.prefix}; ` +
        'fields a request schema does not list pass through to the upstream unless the schema says otherwise.',
    },
    paths,
    components: {
      schemas: { ...schemas, Error: OPENAI_ERROR, AnthropicError: ANTHROPIC_ERROR },
      responses: { Error: errorResponse('openai'), AnthropicError: errorResponse('anthropic') },
      securitySchemes: Object.fromEntries(usedSchemes.map((auth) => [auth, SECURITY_SCHEMES[auth]])),
    },
  };
}
