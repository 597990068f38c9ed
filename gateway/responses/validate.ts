// Checks a POST /v1/responses body before anything is spent on it, with OpenAI-shaped 400s that
// name the field: its schema (protocols/openai/request-schemas.ts, also the OpenAPI document's)
// and the one rule it cannot say. The Responses API has many features that run inside OpenAI's platform (built-in
// tools, background runs, stored prompts, conversations); a request asking for one is refused by
// name rather than answered without it. Input items are checked as they are read (input-items.ts).
import { badRequest } from '../errors.ts';
import { bodyCheck } from '../protocols/body-check.ts';
import { ResponsesRequest as ResponsesRequestSchema } from '../protocols/openai/request-schemas.ts';
import type { Json, ResponsesRequest, TextFormat } from './types.ts';
import { isObject } from '../json-object.ts';

const checkEnvelope = bodyCheck<ResponsesRequest>(ResponsesRequestSchema, {
  path: 'brackets',
  model: (problem) => `model: ${problem.reason}`,
});

/** What the schema cannot say: a json_schema format names its schema. */
function checkTextFormat(format: TextFormat | null | undefined): void {
  if (format?.type !== 'json_schema') return;
  const { name, schema } = format as { name?: unknown; schema?: unknown };
  if (typeof name !== 'string' || name === '')
    throw badRequest('text.format.name: Field required for a json_schema format.', 'invalid_value', 'text.format.name');
  if (!isObject(schema)) throw badRequest('text.format.schema: must be a JSON Schema object.', 'invalid_value', 'text.format.schema');
}

/** The body with null fields taken as absent, as OpenAI does for optional parameters. */
function withoutNulls(body: Json): Json {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null));
}

export function validateResponsesRequest(raw: unknown): ResponsesRequest {
  const request = checkEnvelope(isObject(raw) ? withoutNulls(raw) : raw);
  checkTextFormat(request.text?.format);
  return request;
}
