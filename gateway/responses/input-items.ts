// A request's `input` → context items in the full shape the API lists them (ids, status, content
// parts), checked as they are read, with 400s naming the item and field ("input[2].content[0].type").
// Pure. A string input is one user message. Reasoning items are kept as given (an upstream that
// speaks the Responses API reads them; the chat path leaves them out). Item types that only
// OpenAI's platform can act on (item references, built-in tool calls) are refused, not dropped.
import { badRequest } from '../errors.ts';
import { MAX_MESSAGES } from '../chat/validate-request.ts';
import type {
  ContextItem,
  FunctionCallItem,
  FunctionCallOutputItem,
  InputText,
  Json,
  MessageContent,
  MessageItem,
  ReasoningItem,
} from './types.ts';
import { isObject } from '../json-object.ts';

const ROLES = new Set(['user', 'system', 'developer', 'assistant']);
const DETAILS = new Set(['auto', 'low', 'high']);

/** Names one item of a response: `${kind}_${seed}_${n}`, unique within the response. */
export type ItemIds = (kind: 'msg' | 'fc' | 'fco', n: number) => string;

function invalid(param: string, problem: string): never {
  throw badRequest(`${param}: ${problem}`, 'invalid_value', param);
}

function unsupported(param: string, what: string): never {
  throw badRequest(`${param}: ${what} is not supported by this gateway.`, 'unsupported_parameter', param);
}

function requiredString(item: Json, field: string, param: string): string {
  const value = item[field];
  if (typeof value !== 'string') invalid(`${param}.${field}`, 'Field required: a string.');
  return value;
}

function contentPart(part: unknown, role: MessageItem['role'], param: string): MessageContent {
  if (!isObject(part)) invalid(param, 'must be a content part object with a "type".');
  const type = part.type;
  if (type === 'input_text' || (type === 'output_text' && role === 'assistant')) {
    const text = requiredString(part, 'text', param);
    return role === 'assistant' ? { type: 'output_text', text, annotations: [] } : { type: 'input_text', text };
  }
  if (type === 'refusal' && role === 'assistant') return { type: 'refusal', refusal: requiredString(part, 'refusal', param) };
  if (type === 'input_image' && role === 'user') {
    // file_id points into OpenAI's file storage, which this gateway does not have.
    if (part.file_id !== undefined && part.file_id !== null)
      unsupported(`${param}.file_id`, 'an image by file id (send image_url, a URL or a data: URL)');
    const url = requiredString(part, 'image_url', param);
    const detail = part.detail ?? 'auto';
    if (typeof detail !== 'string' || !DETAILS.has(detail)) invalid(`${param}.detail`, 'must be "auto", "low" or "high".');
    return { type: 'input_image', image_url: url, detail: detail as 'auto' | 'low' | 'high' };
  }
  unsupported(`${param}.type`, `content of type ${JSON.stringify(type)} in a ${role} message`);
}

function message(item: Json, param: string, id: string): MessageItem {
  const role = item.role;
  if (typeof role !== 'string' || !ROLES.has(role)) invalid(`${param}.role`, 'must be "user", "assistant", "system" or "developer".');
  const typedRole = role as MessageItem['role'];
  const { content } = item;
  let parts: MessageContent[];
  if (typeof content === 'string')
    parts = [typedRole === 'assistant' ? { type: 'output_text', text: content, annotations: [] } : { type: 'input_text', text: content }];
  else if (Array.isArray(content)) parts = content.map((part: unknown, j) => contentPart(part, typedRole, `${param}.content[${j}]`));
  else invalid(`${param}.content`, 'must be a string or an array of content parts.');
  return { id, type: 'message', role: typedRole, status: 'completed', content: parts };
}

function functionCall(item: Json, param: string, id: string): FunctionCallItem {
  return {
    id,
    type: 'function_call',
    call_id: requiredString(item, 'call_id', param),
    name: requiredString(item, 'name', param),
    arguments: requiredString(item, 'arguments', param),
    status: 'completed',
  };
}

function toolOutput(output: unknown, param: string): string | InputText[] {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) invalid(`${param}.output`, 'must be a string or an array of input_text parts.');
  return output.map((part: unknown, j) => {
    const where = `${param}.output[${j}]`;
    if (!isObject(part) || part.type !== 'input_text') unsupported(`${where}.type`, 'a function call output part other than input_text');
    return { type: 'input_text', text: requiredString(part, 'text', where) };
  });
}

function functionCallOutput(item: Json, param: string, id: string): FunctionCallOutputItem {
  return {
    id,
    type: 'function_call_output',
    call_id: requiredString(item, 'call_id', param),
    output: toolOutput(item.output, param),
    status: 'completed',
  };
}

function reasoning(item: Json, param: string): ReasoningItem {
  const id = requiredString(item, 'id', param);
  if (!Array.isArray(item.summary)) invalid(`${param}.summary`, 'Field required: an array of summary_text parts.');
  const summary = item.summary.map((part: unknown, j) => {
    const where = `${param}.summary[${j}]`;
    if (!isObject(part) || part.type !== 'summary_text') invalid(`${where}.type`, 'must be "summary_text".');
    return { type: 'summary_text' as const, text: requiredString(part, 'text', where) };
  });
  const encrypted = item.encrypted_content;
  if (encrypted !== undefined && encrypted !== null && typeof encrypted !== 'string')
    invalid(`${param}.encrypted_content`, 'must be a string or null.');
  return { id, type: 'reasoning', summary, ...(typeof encrypted === 'string' ? { encrypted_content: encrypted } : {}) };
}

/** The client's id for an item when it gave a usable one; ours otherwise. */
function idOf(item: Json, fallback: string): string {
  return typeof item.id === 'string' && item.id !== '' && item.id.length <= 128 ? item.id : fallback;
}

function contextItem(item: unknown, i: number, ids: ItemIds): ContextItem {
  const param = `input[${i}]`;
  if (!isObject(item)) invalid(param, 'must be an input item object.');
  const type = item.type ?? 'message';
  if (type === 'message') return message(item, param, idOf(item, ids('msg', i)));
  if (type === 'function_call') return functionCall(item, param, idOf(item, ids('fc', i)));
  if (type === 'function_call_output') return functionCallOutput(item, param, idOf(item, ids('fco', i)));
  if (type === 'reasoning') return reasoning(item, param);
  unsupported(`${param}.type`, `an input item of type ${JSON.stringify(type)}`);
}

export function toContextItems(input: string | readonly unknown[], ids: ItemIds): ContextItem[] {
  if (typeof input === 'string')
    return [{ id: ids('msg', 0), type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: input }] }];
  if (input.length > MAX_MESSAGES) throw badRequest(`input: at most ${MAX_MESSAGES} items are allowed.`, 'too_many_items', 'input');
  return input.map((item, i) => contextItem(item, i, ids));
}
