// Checks a POST /v1/responses body before anything is spent on it, with OpenAI-shaped 400s that
// name the field. The Responses API has many features that run inside OpenAI's platform (built-in
// tools, background runs, stored prompts, conversations); a request asking for one is refused by
// name rather than answered without it. Input items are checked as they are read (input-items.ts).
import { badRequest } from '../errors.ts';
import { checkModelName } from '../chat/model-name.ts';
import type { FunctionToolParam, Json, ResponsesRequest, TextFormat, ToolChoiceParam } from './types.ts';
import { isObject } from '../json-object.ts';

/** Top-level fields this gateway implements; `conversation_id` and `memory` are Perpetual's own. */
const SUPPORTED = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'reasoning',
  'store',
  'previous_response_id',
  'stream',
  'max_output_tokens',
  'temperature',
  'top_p',
  'user',
  'safety_identifier',
  'metadata',
  'truncation',
  'include',
  'conversation_id',
  'memory',
]);

const REASONING_EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);
const REASONING_SUMMARIES = new Set(['auto', 'concise', 'detailed']);
/** OpenAI's limits on metadata. */
const METADATA = { pairs: 16, keyLength: 64, valueLength: 512 } as const;
export const MAX_RESPONSE_ID_LENGTH = 128;

function unsupported(param: string, what: string): never {
  throw badRequest(`${param}: ${what} is not supported by this gateway. Remove it and try again.`, 'unsupported_parameter', param);
}

function invalid(param: string, problem: string): never {
  throw badRequest(`${param}: ${problem}`, 'invalid_value', param);
}

function checkInput(input: unknown): void {
  if (typeof input === 'string') return;
  if (!Array.isArray(input) || input.length === 0) invalid('input', 'must be a string or a non-empty array of input items.');
}

function checkTool(tool: unknown, i: number): FunctionToolParam {
  const param = `tools[${i}]`;
  if (!isObject(tool)) invalid(param, 'must be a tool object.');
  // Built-in tools (web_search, file_search, code_interpreter, computer use, MCP...) run inside
  // OpenAI's platform; only the client's own functions can be served through any model.
  if (tool.type !== 'function') unsupported(`${param}.type`, `tool type ${JSON.stringify(tool.type)} (only "function" tools are)`);
  if (typeof tool.name !== 'string' || tool.name === '') invalid(`${param}.name`, "Field required: the function's name.");
  if (tool.parameters !== undefined && tool.parameters !== null && !isObject(tool.parameters))
    invalid(`${param}.parameters`, 'must be a JSON Schema object.');
  if (tool.description !== undefined && tool.description !== null && typeof tool.description !== 'string')
    invalid(`${param}.description`, 'must be a string.');
  if (tool.strict !== undefined && tool.strict !== null && typeof tool.strict !== 'boolean')
    invalid(`${param}.strict`, 'must be true or false.');
  return tool as unknown as FunctionToolParam;
}

function checkToolChoice(choice: unknown): asserts choice is ToolChoiceParam | undefined {
  if (choice === undefined || choice === 'none' || choice === 'auto' || choice === 'required') return;
  if (isObject(choice) && choice.type === 'function') {
    if (typeof choice.name !== 'string' || choice.name === '') invalid('tool_choice.name', 'Field required when type is "function".');
    return;
  }
  if (isObject(choice)) unsupported('tool_choice.type', `tool choice ${JSON.stringify(choice.type)}`);
  invalid('tool_choice', 'must be "none", "auto", "required" or {"type": "function", "name": ...}.');
}

function checkTextFormat(format: unknown): asserts format is TextFormat | undefined {
  if (format === undefined || format === null) return;
  if (!isObject(format)) invalid('text.format', 'must be an object with a "type".');
  if (format.type === 'text' || format.type === 'json_object') return;
  if (format.type !== 'json_schema') invalid('text.format.type', 'must be "text", "json_object" or "json_schema".');
  if (typeof format.name !== 'string' || format.name === '') invalid('text.format.name', 'Field required for a json_schema format.');
  if (!isObject(format.schema)) invalid('text.format.schema', 'must be a JSON Schema object.');
  if (format.strict !== undefined && format.strict !== null && typeof format.strict !== 'boolean')
    invalid('text.format.strict', 'must be true or false.');
}

function checkText(text: unknown): void {
  if (text === undefined) return;
  if (!isObject(text)) invalid('text', 'must be an object.');
  for (const key of Object.keys(text)) if (key !== 'format' && text[key] !== null) unsupported(`text.${key}`, 'this text option');
  checkTextFormat(text.format);
}

function checkReasoning(reasoning: unknown): void {
  if (reasoning === undefined) return;
  if (!isObject(reasoning)) invalid('reasoning', 'must be an object.');
  for (const key of Object.keys(reasoning))
    if (key !== 'effort' && key !== 'summary' && reasoning[key] !== null) unsupported(`reasoning.${key}`, 'this reasoning option');
  const { effort, summary } = reasoning;
  if (effort !== undefined && effort !== null && !(typeof effort === 'string' && REASONING_EFFORTS.has(effort)))
    invalid('reasoning.effort', `must be one of ${[...REASONING_EFFORTS].join(', ')}.`);
  if (summary !== undefined && summary !== null && !(typeof summary === 'string' && REASONING_SUMMARIES.has(summary)))
    invalid('reasoning.summary', `must be one of ${[...REASONING_SUMMARIES].join(', ')}.`);
}

function checkMetadata(metadata: unknown): void {
  if (metadata === undefined) return;
  if (!isObject(metadata)) invalid('metadata', 'must be an object of string values.');
  const entries = Object.entries(metadata);
  if (entries.length > METADATA.pairs) invalid('metadata', `may hold at most ${METADATA.pairs} keys.`);
  for (const [key, value] of entries) {
    if (key.length > METADATA.keyLength) invalid('metadata', `keys may be at most ${METADATA.keyLength} characters.`);
    if (typeof value !== 'string' || value.length > METADATA.valueLength)
      invalid(`metadata.${key}`, `must be a string of at most ${METADATA.valueLength} characters.`);
  }
}

function checkNumbers(body: Json): void {
  const { max_output_tokens: max, temperature, top_p: topP } = body;
  if (max !== undefined && (!Number.isInteger(max) || (max as number) < 1)) invalid('max_output_tokens', 'must be a positive integer.');
  if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0 || temperature > 2))
    invalid('temperature', 'must be a number from 0 to 2.');
  if (topP !== undefined && (typeof topP !== 'number' || topP < 0 || topP > 1)) invalid('top_p', 'must be a number from 0 to 1.');
}

function checkOptions(body: Json): void {
  for (const name of ['stream', 'store', 'parallel_tool_calls']) {
    if (body[name] !== undefined && typeof body[name] !== 'boolean')
      throw badRequest(`${name}: must be true or false.`, 'invalid_type', name);
  }
  if (body.instructions !== undefined && typeof body.instructions !== 'string')
    unsupported('instructions', 'instructions other than a string');
  const previous = body.previous_response_id;
  if (previous !== undefined && (typeof previous !== 'string' || previous === '' || previous.length > MAX_RESPONSE_ID_LENGTH)) {
    invalid('previous_response_id', `must be the id of a stored response (a string of at most ${MAX_RESPONSE_ID_LENGTH} characters).`);
  }
  // Context is never cut to fit: an over-long conversation fails upstream instead.
  if (body.truncation !== undefined && body.truncation !== 'disabled')
    unsupported('truncation', `truncation ${JSON.stringify(body.truncation)} (only "disabled" is)`);
  // `include` asks for extra output (encrypted reasoning, search results, logprobs) that a chat upstream cannot give.
  if (body.include !== undefined && !(Array.isArray(body.include) && body.include.length === 0))
    unsupported('include', 'including extra output');
}

/** The body with null fields taken as absent, as OpenAI does for optional parameters. */
function withoutNulls(body: Json): Json {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null));
}

export function validateResponsesRequest(raw: unknown): ResponsesRequest {
  if (!isObject(raw)) throw badRequest('The request body must be a JSON object.', 'invalid_body');
  const body = withoutNulls(raw);
  for (const key of Object.keys(body)) if (!SUPPORTED.has(key)) unsupported(key, 'this parameter');
  checkModelName(body.model, (problem) => `model: ${problem.reason}`);
  checkInput(body.input);
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) invalid('tools', 'must be an array of tools.');
    body.tools.forEach(checkTool);
  }
  checkToolChoice(body.tool_choice);
  checkText(body.text);
  checkReasoning(body.reasoning);
  checkMetadata(body.metadata);
  checkNumbers(body);
  checkOptions(body);
  return body as ResponsesRequest;
}
