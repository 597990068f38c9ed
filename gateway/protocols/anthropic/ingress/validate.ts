// Checks an Anthropic Messages request (POST /v1/messages) before anything is spent on it, with
// 400s that name the field the way Anthropic's API does ("messages.0.role"). Only the shape is
// checked here; content blocks are checked as they are translated (request.ts), where each block
// type is handled. Unknown top-level fields are ignored: SDKs add parameters over time.
import { badRequest } from '../../../errors.ts';
import type { AnthropicRequest, AnthropicTool, AnthropicToolChoice } from '../types.ts';
import { checkModelName } from '../../../chat/model-name.ts';
import { MAX_MESSAGES } from '../../../chat/validate-request.ts';
import { isObject } from '../../../json-object.ts';

/**
 * A content block as a client sends it: only its `type` is known to be a string here. The known
 * types (AnthropicRequestBlock) are checked field by field as they are translated.
 */
export interface IngressBlock {
  type: string;
  [field: string]: unknown;
}

export interface IngressMessage {
  role: 'user' | 'assistant';
  content: string | IngressBlock[];
}

export interface IngressRequest extends Omit<AnthropicRequest, 'messages'> {
  messages: IngressMessage[];
}

type Json = Record<string, unknown>;

function isUnitInterval(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value <= 1;
}

function checkModel(body: Json): void {
  checkModelName(body.model, (problem) =>
    problem.code === 'missing_model'
      ? 'model: Field required. Name the model to use, e.g. "claude-sonnet-4-5" or any model this gateway serves.'
      : `model: ${problem.reason}`,
  );
}

function checkRequired(body: Json): void {
  checkModel(body);
  if (body.max_tokens === undefined || body.max_tokens === null) {
    throw badRequest(
      'max_tokens: Field required. Send the most tokens the reply may have, a positive integer.',
      'missing_max_tokens',
      'max_tokens',
    );
  }
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) {
    throw badRequest('max_tokens: must be a positive integer.', 'invalid_value', 'max_tokens');
  }
}

function checkContent(message: Json, i: number, last: boolean): void {
  const { content } = message;
  if (typeof content === 'string') return;
  if (!Array.isArray(content))
    throw badRequest(`messages.${i}.content: must be a string or an array of content blocks.`, 'invalid_message', `messages.${i}.content`);
  // Anthropic allows one empty turn: a final assistant turn the model is to write.
  if (content.length === 0 && !(last && message.role === 'assistant')) {
    throw badRequest(`messages.${i}.content: must not be empty.`, 'invalid_message', `messages.${i}.content`);
  }
  content.forEach((block: unknown, j) => {
    if (!isObject(block) || typeof block.type !== 'string') {
      throw badRequest(
        `messages.${i}.content.${j}: must be a content block object with a "type".`,
        'invalid_content_block',
        `messages.${i}.content.${j}`,
      );
    }
  });
}

function checkMessage(message: unknown, i: number, count: number): void {
  if (!isObject(message))
    throw badRequest(`messages.${i}: must be an object with "role" and "content".`, 'invalid_message', `messages.${i}`);
  if (message.role !== 'user' && message.role !== 'assistant') {
    throw badRequest(
      `messages.${i}.role: must be "user" or "assistant"; instructions go in the top-level "system" parameter.`,
      'invalid_message',
      `messages.${i}.role`,
    );
  }
  if (i === 0 && message.role !== 'user')
    throw badRequest('messages.0.role: the first message must be a "user" message.', 'invalid_message', 'messages.0.role');
  checkContent(message, i, i === count - 1);
}

function checkMessages(messages: unknown): void {
  if (!Array.isArray(messages) || messages.length === 0)
    throw badRequest('messages: must be a non-empty array of user and assistant messages.', 'invalid_messages', 'messages');
  if (messages.length > MAX_MESSAGES)
    throw badRequest(`messages: at most ${MAX_MESSAGES} messages are allowed.`, 'too_many_messages', 'messages');
  messages.forEach((message: unknown, i) => {
    checkMessage(message, i, messages.length);
  });
}

function checkSystem(system: unknown): void {
  if (system === undefined || typeof system === 'string') return;
  const blocks = Array.isArray(system) && system.every((b) => isObject(b) && b.type === 'text' && typeof b.text === 'string');
  if (!blocks) throw badRequest('system: must be a string or an array of text blocks.', 'invalid_value', 'system');
}

function checkSampling(body: Json): void {
  if (body.temperature !== undefined && !isUnitInterval(body.temperature))
    throw badRequest('temperature: must be a number from 0 to 1.', 'invalid_value', 'temperature');
  if (body.top_p !== undefined && !isUnitInterval(body.top_p))
    throw badRequest('top_p: must be a number from 0 to 1.', 'invalid_value', 'top_p');
  if (body.top_k !== undefined && (!Number.isInteger(body.top_k) || (body.top_k as number) < 0))
    throw badRequest('top_k: must be a non-negative integer.', 'invalid_value', 'top_k');
  const stops = body.stop_sequences;
  if (stops !== undefined && !(Array.isArray(stops) && stops.every((s) => typeof s === 'string')))
    throw badRequest('stop_sequences: must be an array of strings.', 'invalid_value', 'stop_sequences');
}

function checkOptions(body: Json): void {
  if (body.stream !== undefined && typeof body.stream !== 'boolean')
    throw badRequest('stream: must be true or false.', 'invalid_type', 'stream');
  const metadata = body.metadata;
  if (
    metadata !== undefined &&
    !(isObject(metadata) && (metadata.user_id === undefined || metadata.user_id === null || typeof metadata.user_id === 'string'))
  ) {
    throw badRequest('metadata: must be an object whose "user_id" is a string.', 'invalid_value', 'metadata');
  }
}

function checkTool(tool: unknown, i: number): asserts tool is AnthropicTool {
  const param = `tools.${i}`;
  if (!isObject(tool)) throw badRequest(`${param}: must be a tool object.`, 'invalid_tool', param);
  // Server tools (web search, code execution, ...) run inside Anthropic's API; only the client's own tools can be routed anywhere.
  if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
    throw badRequest(
      `${param}: tool type ${JSON.stringify(tool.type)} is not supported by this gateway; only custom tools with "name" and "input_schema" are.`,
      'unsupported_parameter',
      param,
    );
  }
  if (typeof tool.name !== 'string' || tool.name === '')
    throw badRequest(`${param}.name: Field required.`, 'invalid_tool', `${param}.name`);
  if (!isObject(tool.input_schema))
    throw badRequest(`${param}.input_schema: must be a JSON Schema object.`, 'invalid_tool', `${param}.input_schema`);
}

function checkToolChoice(choice: unknown): asserts choice is AnthropicToolChoice | undefined {
  if (choice === undefined) return;
  if (!isObject(choice) || !['auto', 'any', 'tool', 'none'].includes(String(choice.type))) {
    throw badRequest('tool_choice.type: must be one of "auto", "any", "tool", "none".', 'invalid_value', 'tool_choice');
  }
  if (choice.type === 'tool' && typeof choice.name !== 'string')
    throw badRequest('tool_choice.name: Field required when type is "tool".', 'invalid_value', 'tool_choice.name');
}

function checkTools(body: Json): void {
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) throw badRequest('tools: must be an array of tools.', 'invalid_value', 'tools');
    body.tools.forEach(checkTool);
  }
  checkToolChoice(body.tool_choice);
}

export function validateMessagesRequest(body: unknown): IngressRequest {
  if (!isObject(body)) throw badRequest('The request body must be a JSON object.', 'invalid_body');
  checkRequired(body);
  checkMessages(body.messages);
  checkSystem(body.system);
  checkSampling(body);
  checkOptions(body);
  checkTools(body);
  return body as unknown as IngressRequest;
}

/** POST /v1/messages/count_tokens: the prompt side of a message request, without max_tokens. */
export function validateCountTokensRequest(body: unknown): Omit<IngressRequest, 'max_tokens'> {
  if (!isObject(body)) throw badRequest('The request body must be a JSON object.', 'invalid_body');
  checkModel(body);
  checkMessages(body.messages);
  checkSystem(body.system);
  checkTools(body);
  return body as unknown as Omit<IngressRequest, 'max_tokens'>;
}
