// Every endpoint the gateway serves, as the OpenAPI document describes it: method, path, who may
// call it, the request schema the route checks bodies against (the same TypeBox object, so the
// document cannot drift from the check), query parameters and answers. A test compares this table
// with the routes Express really registers (route-table.test.ts): a route added to server.ts or a
// router without a row here fails it, and so does a row without a route.
//
// Paths use OpenAPI's {name} for parameters; API paths are given without the API prefix (/v1 by
// default), which gatewayRoutes adds.
import type { TSchema } from 'typebox';
import Type from 'typebox';
import { CountTokensRequest, MessagesRequest } from '../protocols/anthropic/request-schema.ts';
import { ChatCompletionRequest, CompletionRequest, EmbeddingsRequest, ResponsesRequest } from '../protocols/openai/request-schemas.ts';
import {
  AddProviderKeyRequest,
  CreateKeyRequest,
  CreateUserRequest,
  LimitsPatchRequest,
  MemorySearchRequest,
  RotateKeyRequest,
  UpdateUserRequest,
} from '../protocols/perpetual/request-schemas.ts';

/** Who may call: nobody in particular, an API key, a user's session (JWT), or the platform team's admin token. */
export type Auth = 'none' | 'apiKey' | 'userJwt' | 'admin';

type Method = 'get' | 'post' | 'patch' | 'delete';

/** How errors are shaped: OpenAI's {"error": {...}} everywhere, Anthropic's {"type": "error", ...} under /messages. */
export type ErrorDialect = 'openai' | 'anthropic';

interface QueryParameter {
  name: string;
  description: string;
  schema: TSchema;
}

export interface RouteDoc {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  auth: Auth;
  /** The schema the route checks the JSON body against. */
  body?: TSchema;
  query?: QueryParameter[];
  /** Success answers by status; error answers are added from `auth`, `body` and `errors`. */
  responses: Record<string, string>;
  errors?: ErrorDialect;
  /** Answers as server-sent events when the body says "stream": true. */
  streams?: boolean;
  /** The media type of a success answer that is not JSON. */
  produces?: 'text/plain' | 'text/html';
}

/** A row of a section: its tag and who may call are the section's. */
type Row = Omit<RouteDoc, 'tag' | 'auth'>;

/** The routes of one tag, all called with the same credentials. */
const section = (tag: string, auth: Auth, rows: Row[]): RouteDoc[] => rows.map((row) => ({ ...row, tag, auth }));

const query = (name: string, description: string, schema: TSchema = Type.String()): QueryParameter => ({ name, description, schema });
const limit = (max: number, fallback: number) =>
  query('limit', `Items per page, 1 to ${String(max)} (default ${String(fallback)}).`, Type.Integer({ minimum: 1, maximum: max }));
const endUser = query('end_user', "An end user's data instead of the account's own (also the x-perpetual-end-user header).");

/** The routes outside the API prefix: health, metrics, this document. */
const processRoutes = section('Operations', 'none', [
  {
    method: 'get',
    path: '/health',
    summary: 'Liveness and dependency health',
    responses: { 200: 'Healthy (or degraded, with the failing dependency named).', 503: 'Draining or a required dependency is down.' },
  },
  {
    method: 'get',
    path: '/prometheus',
    summary: 'Prometheus metrics',
    produces: 'text/plain',
    responses: { 200: 'Prometheus text exposition format.' },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (alias of /prometheus)',
    produces: 'text/plain',
    responses: { 200: 'Prometheus text exposition format.' },
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This OpenAPI document',
    responses: { 200: 'OpenAPI 3.1 document.' },
  },
  {
    method: 'get',
    path: '/docs',
    summary: 'A browsable page of this document',
    produces: 'text/html',
    responses: { 200: 'HTML.' },
  },
]);

/** The routes under the API prefix. */
const apiRoutes: RouteDoc[] = [
  ...section('Models', 'apiKey', [
    {
      method: 'get',
      path: '/models',
      summary: 'List the models this key may call',
      responses: { 200: 'A list of model objects.' },
    },
    {
      method: 'get',
      path: '/models/{id}',
      summary: 'One model (ids may hold a slash)',
      responses: { 200: 'A model object.' },
    },
  ]),
  ...section('Inference', 'apiKey', [
    {
      method: 'post',
      path: '/chat/completions',
      summary: 'Chat completion (OpenAI), with long-term memory',
      body: ChatCompletionRequest,
      streams: true,
      responses: { 200: 'A chat.completion, or chat.completion.chunk events when streaming.' },
    },
    {
      method: 'post',
      path: '/completions',
      summary: 'Legacy text completion (OpenAI)',
      body: CompletionRequest,
      streams: true,
      responses: { 200: 'A text_completion, or its chunks when streaming.' },
    },
    {
      method: 'post',
      path: '/embeddings',
      summary: 'Embeddings (OpenAI)',
      body: EmbeddingsRequest,
      responses: { 200: 'A list of embeddings.' },
    },
    {
      method: 'post',
      path: '/responses',
      summary: 'Create a response (OpenAI Responses), with long-term memory',
      body: ResponsesRequest,
      streams: true,
      responses: { 200: 'A response object, or response.* events when streaming.' },
    },
    {
      method: 'get',
      path: '/responses/{id}',
      summary: 'A stored response',
      query: [endUser],
      responses: { 200: 'The response object.' },
    },
    {
      method: 'delete',
      path: '/responses/{id}',
      summary: 'Delete a stored response',
      query: [endUser],
      responses: { 200: 'Deleted.' },
    },
    {
      method: 'get',
      path: '/responses/{id}/input_items',
      summary: "A stored response's input items",
      query: [
        limit(100, 20),
        query('order', 'asc or desc (default desc).', Type.Enum(['asc', 'desc'])),
        query('after', 'An item id: the page after it.'),
        endUser,
      ],
      responses: { 200: 'A list of input items.' },
    },
    {
      method: 'post',
      path: '/messages',
      summary: 'Create a message (Anthropic Messages), with long-term memory',
      body: MessagesRequest,
      errors: 'anthropic',
      streams: true,
      responses: { 200: 'A message, or message_* events when streaming.' },
    },
    {
      method: 'post',
      path: '/messages/count_tokens',
      summary: 'Count the input tokens of a message (Anthropic)',
      body: CountTokensRequest,
      errors: 'anthropic',
      responses: { 200: '{"input_tokens": n}' },
    },
  ]),
  ...section('Account', 'apiKey', [
    {
      method: 'get',
      path: '/usage',
      summary: 'Your usage and spend report',
      query: [query('from', 'ISO 8601 date or time.'), query('to', 'ISO 8601 date or time.'), limit(1000, 100)],
      responses: { 200: 'Usage rows, totals per model, daily and monthly spend.' },
    },
    {
      method: 'get',
      path: '/budget',
      summary: 'Your money budgets: limit, spend and reset of each',
      responses: { 200: 'The budgets in force for this key and its account.' },
    },
    {
      method: 'post',
      path: '/provider-keys/add',
      summary: 'Store your own provider key (encrypted)',
      body: AddProviderKeyRequest,
      responses: { 201: 'Stored; only the last four characters are shown.' },
    },
    {
      method: 'get',
      path: '/provider-keys',
      summary: 'Your provider keys, masked',
      responses: { 200: 'A list of providers with key hints.' },
    },
    {
      method: 'delete',
      path: '/provider-keys/{provider}',
      summary: 'Delete a provider key',
      responses: { 200: 'Deleted.' },
    },
  ]),
  ...section('Memory', 'apiKey', [
    {
      method: 'get',
      path: '/memories',
      summary: 'List your memories',
      query: [
        limit(200, 50),
        query('cursor', 'next_cursor of the previous page.'),
        query('conversation_id', "Only this conversation's."),
        endUser,
      ],
      responses: {
        200: "A page of memories, each with kind (turn or fact), role, text, conversation_id, end_user, created_at, request_id, subject and superseded_by (a fact's; null otherwise); superseded facts are listed (history) but never recalled.",
        503: 'Memory is off or the vector store is down.',
      },
    },
    {
      method: 'post',
      path: '/memories/search',
      summary: 'Search your memories',
      body: MemorySearchRequest,
      responses: {
        200: 'The closest memories with scores, shaped as in the list; superseded facts are left out.',
        503: 'Memory is off or the vector store is down.',
      },
    },
    {
      method: 'delete',
      path: '/memories/{id}',
      summary: 'Delete one memory',
      query: [endUser],
      responses: { 200: "Deleted, with this scope's facts extracted from it.", 503: 'Memory is off or the vector store is down.' },
    },
    {
      method: 'delete',
      path: '/memories',
      summary: 'Delete a conversation or all memories of a scope',
      query: [
        query('conversation_id', 'One conversation.'),
        query('all', 'true: every memory of this scope.', Type.Enum(['true'])),
        query('include_end_users', "true with all=true: the whole account, every end user's too.", Type.Enum(['true'])),
        endUser,
      ],
      responses: { 200: 'How many were deleted.', 503: 'Memory is off or the vector store is down.' },
    },
  ]),
  ...section('Keys', 'userJwt', [
    {
      method: 'post',
      path: '/keys',
      summary: 'Issue an API key (shown once)',
      body: CreateKeyRequest,
      responses: { 201: 'The key, with its secret shown this once.' },
    },
    {
      method: 'get',
      path: '/keys',
      summary: 'Your API keys',
      responses: { 200: 'A list of keys (no secrets).' },
    },
    {
      method: 'post',
      path: '/keys/{id}/rotate',
      summary: 'Rotate a key: a replacement, the old one kept for a grace period',
      body: RotateKeyRequest,
      responses: { 201: 'The replacement, shown this once.' },
    },
    {
      method: 'delete',
      path: '/keys/{id}',
      summary: 'Revoke a key on every replica',
      responses: { 200: 'Revoked.' },
    },
    {
      method: 'delete',
      path: '/account',
      summary: 'Erase your account and everything it left behind',
      responses: { 200: 'What was removed, by store.' },
    },
  ]),
];

/** The platform team's API (under /admin). */
const adminRoutes = section('Admin', 'admin', [
  {
    method: 'post',
    path: '/admin/users',
    summary: 'Create a user',
    body: CreateUserRequest,
    responses: { 201: 'The user.', 409: 'The email is taken.' },
  },
  { method: 'get', path: '/admin/users/{id}', summary: 'A user', responses: { 200: 'The user.' } },
  {
    method: 'patch',
    path: '/admin/users/{id}',
    summary: "Change a user's tier",
    body: UpdateUserRequest,
    responses: { 200: 'The user.' },
  },
  {
    method: 'delete',
    path: '/admin/users/{id}',
    summary: 'Erase a user and everything they left behind',
    responses: { 200: 'What was removed, by store.' },
  },
  {
    method: 'post',
    path: '/admin/users/{id}/keys',
    summary: 'Issue a key for a user',
    body: CreateKeyRequest,
    responses: { 201: 'The key, shown this once.' },
  },
  {
    method: 'get',
    path: '/admin/users/{id}/keys',
    summary: "A user's keys",
    responses: { 200: 'A list of keys.' },
  },
  {
    method: 'post',
    path: '/admin/users/{id}/keys/{keyId}/rotate',
    summary: "Rotate a user's key",
    body: RotateKeyRequest,
    responses: { 201: 'The replacement, shown this once.' },
  },
  {
    method: 'delete',
    path: '/admin/users/{id}/keys/{keyId}',
    summary: "Revoke a user's key",
    responses: { 200: 'Revoked.' },
  },
  {
    method: 'get',
    path: '/admin/users/{id}/usage',
    summary: "A user's spend report",
    query: [query('from', 'ISO 8601 date or time.'), query('to', 'ISO 8601 date or time.')],
    responses: { 200: 'Totals per model, daily and monthly.' },
  },
  ...['/admin/users/{id}/limits', '/admin/users/{id}/keys/{keyId}/limits'].flatMap((path): Row[] => {
    const whose = path.includes('keyId') ? "a user's key" : 'a user';
    return [
      {
        method: 'get',
        path,
        summary: `The budgets and token limits set for ${whose}`,
        responses: { 200: 'The overrides (null: inherited from the tier).' },
      },
      {
        method: 'patch',
        path,
        summary: `Set budgets and token limits of ${whose}`,
        body: LimitsPatchRequest,
        responses: { 200: 'The overrides now.' },
      },
      {
        method: 'delete',
        path,
        summary: `Remove every budget and token limit set for ${whose}`,
        responses: { 200: 'The overrides now (all null).' },
      },
    ];
  }),
  {
    method: 'get',
    path: '/admin/audit',
    summary: 'The audit log, newest first',
    query: [
      limit(1000, 100),
      query('cursor', 'next_cursor of the previous page.'),
      query('user', 'Only rows about this user.'),
      query('action', 'Only this action, e.g. key.rotated.'),
    ],
    responses: { 200: 'A page of audit events.' },
  },
]);

/** Every route, API paths under `prefix`. */
export function gatewayRoutes(prefix: string): RouteDoc[] {
  return [...processRoutes, ...apiRoutes.map((route) => ({ ...route, path: `${prefix}${route.path}` })), ...adminRoutes];
}
