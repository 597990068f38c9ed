// Checks a chat completion request before anything is spent on it, with OpenAI-style 400s that
// name the offending parameter: its schema (protocols/openai/request-schemas.ts, also the OpenAPI
// document's) and the one rule it cannot say. Unknown fields pass through to the upstream
// untouched (providers add parameters faster than gateways do); Perpetual's own are taken out first.
import { badRequest } from '../errors.ts';
import { bodyCheck } from '../protocols/body-check.ts';
import { ChatCompletionRequest } from '../protocols/openai/request-schemas.ts';
import { isObject } from '../json-object.ts';

export { MAX_MESSAGES } from '../protocols/openai/request-schemas.ts';

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

const checkEnvelope = bodyCheck<ChatRequestBody>(ChatCompletionRequest, {
  path: 'brackets',
  model: (problem) => `"model" ${problem.reason}`,
});

/** What the schema cannot say: a message may leave out its content only when it is an assistant's tool call. */
function checkContent(message: ChatMessage, i: number): void {
  const hasToolCalls = Array.isArray(message.tool_calls) || isObject(message.function_call);
  if ((message.content === null || message.content === undefined) && !(message.role === 'assistant' && hasToolCalls))
    throw badRequest(`messages[${i}].content must be a string or an array of content parts.`, 'invalid_message', `messages[${i}].content`);
}

export function validateChatRequest(body: unknown): ChatRequestBody {
  const request = checkEnvelope(body);
  request.messages.forEach(checkContent);
  return request;
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
