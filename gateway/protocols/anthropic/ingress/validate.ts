// Checks an Anthropic Messages request (POST /v1/messages) before anything is spent on it, with
// 400s that name the field the way Anthropic's API does ("messages.0.role"): its schema
// (../request-schema.ts, also the OpenAPI document's), then the rules about turns the schema
// cannot say. Content blocks are checked as they are translated (request.ts), where each block
// type is handled. Unknown top-level fields are ignored: SDKs add parameters over time.
import { badRequest } from '../../../errors.ts';
import type { AnthropicRequest, AnthropicToolChoice } from '../types.ts';
import { isObject } from '../../../json-object.ts';
import { bodyCheck, type BodyCheckOptions } from '../../body-check.ts';
import { CountTokensRequest, MessagesRequest } from '../request-schema.ts';

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

const options: BodyCheckOptions = {
  path: 'dots',
  model: (problem) =>
    problem.code === 'missing_model'
      ? 'model: Field required. Name the model to use, e.g. "claude-sonnet-4-5" or any model this gateway serves.'
      : `model: ${problem.reason}`,
};
const checkMessagesEnvelope = bodyCheck<IngressRequest>(MessagesRequest, options);
const checkCountTokensEnvelope = bodyCheck<Omit<IngressRequest, 'max_tokens'>>(CountTokensRequest, options);

/** What the schema cannot say about the turns: the first is the user's; only a final assistant turn may be empty. */
function checkTurns(messages: readonly IngressMessage[]): void {
  if (messages[0]?.role !== 'user')
    throw badRequest('messages.0.role: the first message must be a "user" message.', 'invalid_message', 'messages.0.role');
  messages.forEach((message, i) => {
    // Anthropic allows one empty turn: a final assistant turn the model is to write.
    if (message.content.length === 0 && typeof message.content !== 'string' && !(i === messages.length - 1 && message.role === 'assistant'))
      throw badRequest(`messages.${i}.content: must not be empty.`, 'invalid_message', `messages.${i}.content`);
  });
}

function checkToolChoice(choice: AnthropicToolChoice | undefined): void {
  if (choice?.type === 'tool' && typeof choice.name !== 'string')
    throw badRequest('tool_choice.name: Field required when type is "tool".', 'invalid_value', 'tool_choice.name');
}

/** null is no number of tokens: checked as if max_tokens were missing, for the same 400. */
function nullMaxTokensAsMissing(body: unknown): unknown {
  if (!isObject(body) || (body.max_tokens !== null && body.max_tokens !== undefined)) return body;
  return Object.fromEntries(Object.entries(body).filter(([name]) => name !== 'max_tokens'));
}

export function validateMessagesRequest(body: unknown): IngressRequest {
  const request = checkMessagesEnvelope(nullMaxTokensAsMissing(body));
  checkTurns(request.messages);
  checkToolChoice(request.tool_choice);
  return request;
}

/** POST /v1/messages/count_tokens: the prompt side of a message request, without max_tokens. */
export function validateCountTokensRequest(body: unknown): Omit<IngressRequest, 'max_tokens'> {
  const request = checkCountTokensEnvelope(body);
  checkTurns(request.messages);
  checkToolChoice(request.tool_choice);
  return request;
}
