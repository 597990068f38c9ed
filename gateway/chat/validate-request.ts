// Checks a chat completion request before anything is spent on it, with OpenAI-style 400s that
// name the offending parameter. Unknown fields pass through to the upstream untouched (providers
// add parameters faster than gateways do); Perpetual's own fields are taken out first.
import { badRequest } from '../errors.ts';
import { checkModelName } from './model-name.ts';
import { isObject } from '../json-object.ts';

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
export const MAX_MESSAGES = 4096;

export interface ChatMessage {
  role: string;
  content?: unknown;
  [field: string]: unknown;
}

export interface ChatRequestBody {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean; [field: string]: unknown };
  [field: string]: unknown;
}

/** Perpetual's per-request extensions, read from the body or from x-perpetual-* headers. */
export interface ChatExtensions {
  conversationId: string | undefined;
  /** conversationOnly: recall only this conversation's memories (scope "conversation"). */
  memory: { enabled: boolean | undefined; topK: number | undefined; conversationOnly: boolean };
}

function checkMessage(message: unknown, i: number): ChatMessage {
  const param = `messages[${i}]`;
  if (!isObject(message)) throw badRequest(`${param} must be an object with "role" and "content".`, 'invalid_message', param);
  if (typeof message.role !== 'string' || !ROLES.has(message.role)) {
    throw badRequest(`${param}.role must be one of ${[...ROLES].join(', ')}.`, 'invalid_message', `${param}.role`);
  }
  const content = message.content;
  const hasToolCalls = Array.isArray(message.tool_calls) || isObject(message.function_call);
  const validContent =
    typeof content === 'string' ||
    Array.isArray(content) ||
    ((content === null || content === undefined) && message.role === 'assistant' && hasToolCalls);
  if (!validContent)
    throw badRequest(`${param}.content must be a string or an array of content parts.`, 'invalid_message', `${param}.content`);
  return message as ChatMessage;
}

export function checkStreaming(body: Record<string, unknown>): void {
  if (body.stream !== undefined && typeof body.stream !== 'boolean')
    throw badRequest('"stream" must be true or false.', 'invalid_type', 'stream');
  if (body.stream_options !== undefined && body.stream_options !== null && !isObject(body.stream_options))
    throw badRequest('"stream_options" must be an object.', 'invalid_type', 'stream_options');
}

export function checkSampling(body: Record<string, unknown>): void {
  for (const name of ['max_tokens', 'max_completion_tokens']) {
    const value = body[name];
    if (value !== undefined && value !== null && (!Number.isInteger(value) || (value as number) < 1))
      throw badRequest(`"${name}" must be a positive integer.`, 'invalid_value', name);
  }
  const temperature = body.temperature;
  if (temperature !== undefined && temperature !== null && (typeof temperature !== 'number' || temperature < 0 || temperature > 2)) {
    throw badRequest('"temperature" must be a number between 0 and 2.', 'invalid_value', 'temperature');
  }
}

export function validateChatRequest(body: unknown): ChatRequestBody {
  if (!isObject(body)) throw badRequest('The request body must be a JSON object.', 'invalid_body');
  checkModelName(body.model, (problem) => `"model" ${problem.reason}`);
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    throw badRequest('"messages" must be a non-empty array.', 'invalid_messages', 'messages');
  if (body.messages.length > MAX_MESSAGES)
    throw badRequest(`"messages" may hold at most ${MAX_MESSAGES} messages.`, 'too_many_messages', 'messages');
  body.messages.forEach(checkMessage);
  checkStreaming(body);
  checkSampling(body);
  return body as ChatRequestBody;
}

function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  if (['on', 'true', '1'].includes(value.toLowerCase())) return true;
  if (['off', 'false', '0'].includes(value.toLowerCase())) return false;
  return undefined;
}

function parseTopK(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 50)
    throw badRequest('Memory top_k must be an integer from 0 to 50.', 'invalid_value', 'memory.top_k');
  return n;
}

/**
 * Removes Perpetual's fields from the body (upstreams reject unknown ones) and reads them:
 * body `conversation_id` / `memory: false | {enabled, top_k, scope}`, or headers `x-conversation-id`,
 * `x-perpetual-memory: on|off`, `x-perpetual-memory-top-k`, `x-perpetual-memory-scope: user|conversation`.
 */
export function takeExtensions(body: Record<string, unknown>, header: (name: string) => string | undefined): ChatExtensions {
  const { conversation_id: conversationField, memory: memoryField } = body;
  delete body.conversation_id;
  delete body.memory;
  const conversationId = typeof conversationField === 'string' ? conversationField : header('x-conversation-id');
  if (conversationId !== undefined && (conversationId.length === 0 || conversationId.length > 256)) {
    throw badRequest('The conversation id must be 1 to 256 characters.', 'invalid_value', 'conversation_id');
  }
  const memoryObject = isObject(memoryField) ? memoryField : {};
  const enabled = parseBoolean(isObject(memoryField) ? memoryObject.enabled : memoryField) ?? parseBoolean(header('x-perpetual-memory'));
  const topK = parseTopK(memoryObject.top_k ?? header('x-perpetual-memory-top-k'));
  const scope = memoryObject.scope ?? header('x-perpetual-memory-scope') ?? 'user';
  if (scope !== 'user' && scope !== 'conversation')
    throw badRequest('Memory scope must be "user" or "conversation".', 'invalid_value', 'memory.scope');
  if (scope === 'conversation' && conversationId === undefined)
    throw badRequest(
      'Memory scope "conversation" needs a conversation id (conversation_id or x-conversation-id).',
      'invalid_value',
      'conversation_id',
    );
  return { conversationId, memory: { enabled, topK, conversationOnly: scope === 'conversation' } };
}
