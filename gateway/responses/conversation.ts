// Conversation state across responses (previous_response_id). A stored response keeps the whole
// context it answered; the next response in the chain starts from that context plus the stored
// response's output, then its own input. Pure; the route loads and saves.
import { badRequest, notFound, type GatewayError } from '../errors.ts';
import { MAX_MESSAGES } from '../chat/validate-request.ts';
import type { ResponseScope, StoredResponse } from '../db/responses.ts';
import type { ContextItem, ResponseObject } from './types.ts';

/**
 * The one answer for a response id the caller cannot use: it does not exist, was deleted, expired,
 * or belongs to another account or end user. Saying which would tell one tenant about another's.
 */
export function responseNotFound(id: string, param?: string): GatewayError {
  const shown = id.length <= 128 ? ` "${id}"` : '';
  return notFound(
    `No stored response${shown} was found for this API key and end user. Responses are kept only when created with "store": true (the default).`,
    'response_not_found',
    param,
  );
}

/** Everything the new response answers: the previous response's context and output, then the new input. */
export function continuedContext(previous: StoredResponse | null, input: readonly ContextItem[]): ContextItem[] {
  const earlier = previous ? [...(previous.inputItems as ContextItem[]), ...(previous.response as unknown as ResponseObject).output] : [];
  const context = [...earlier, ...input];
  if (context.length > MAX_MESSAGES) {
    throw badRequest(
      `previous_response_id: the conversation would hold ${context.length} items, more than the ${MAX_MESSAGES} allowed. Start a new conversation, or send the context you need as input.`,
      'context_too_long',
      'previous_response_id',
    );
  }
  return context;
}

export function toStored(response: ResponseObject, scope: ResponseScope, context: readonly ContextItem[]): StoredResponse {
  return {
    id: response.id,
    scope,
    previousResponseId: response.previous_response_id,
    inputItems: [...context],
    response: response as unknown as Record<string, unknown>,
  };
}

export interface ItemPage {
  object: 'list';
  data: ContextItem[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** One page of input_items: `order` (newest first by default, as OpenAI lists), after an item id. */
export function pageItems(
  items: readonly ContextItem[],
  options: { limit: number; order: 'asc' | 'desc'; after: string | undefined },
): ItemPage {
  const ordered = options.order === 'asc' ? [...items] : [...items].reverse();
  const start = options.after === undefined ? 0 : ordered.findIndex((item) => item.id === options.after) + 1;
  const data = start === 0 && options.after !== undefined ? [] : ordered.slice(start, start + options.limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + data.length < ordered.length && data.length > 0,
  };
}
