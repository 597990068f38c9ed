// protocols/anthropic/ingress/: a client calls the gateway in Messages (validate and request in;
// response, stream and errors out). The route is routes/messages.ts.
//
// Anthropic Messages request → the gateway's internal OpenAI chat request. Pure. Whatever the
// OpenAI shape cannot carry is refused with a 400 naming the block, not dropped. Anthropic-only
// content rides along on the request: top_k, thinking, cache_control, document blocks, and the
// thinking blocks of assistant turns (as `thinking_blocks`, signatures intact, plus their text as
// `reasoning_content` for vLLM and DeepSeek). `forTarget` fits the request to the upstream kind.
import { badRequest, type GatewayError } from '../../../errors.ts';
import type { AnthropicTextBlock, AnthropicTool, AnthropicToolChoice } from '../types.ts';
import type { ProviderKind } from '../../../providers/provider-client.ts';
import type {
  AssistantMessage,
  ChatCompletionRequest,
  ChatMessage,
  DocumentContentPart,
  FunctionTool,
  ImageContentPart,
  SystemMessage,
  TextContentPart,
  ThinkingBlock,
  ToolCall,
  ToolChoice,
  ToolMessage,
  UserContentPart,
} from '../../openai/types.ts';
import type { IngressBlock, IngressMessage, IngressRequest } from './validate.ts';
import { isObject } from '../../../json-object.ts';

type Json = Record<string, unknown>;

function unsupportedBlock(type: string, param: string): GatewayError {
  return badRequest(
    `${param}: content blocks of type "${type}" are not supported by this gateway in this position.`,
    'unsupported_content_block',
    param,
  );
}

function textPart(block: IngressBlock, param: string): TextContentPart {
  if (typeof block.text !== 'string') throw badRequest(`${param}.text: must be a string.`, 'invalid_content_block', `${param}.text`);
  // cache_control marks a prompt-cache breakpoint; the Anthropic upstream keeps it, others drop it.
  return isObject(block.cache_control)
    ? { type: 'text', text: block.text, cache_control: block.cache_control }
    : { type: 'text', text: block.text };
}

function imagePart(block: IngressBlock, param: string): ImageContentPart {
  const source = block.source;
  if (isObject(source) && source.type === 'base64' && typeof source.media_type === 'string' && typeof source.data === 'string') {
    return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (isObject(source) && source.type === 'url' && typeof source.url === 'string')
    return { type: 'image_url', image_url: { url: source.url } };
  throw badRequest(
    `${param}.source: must be a base64 image ({"type": "base64", "media_type", "data"}) or a URL ({"type": "url", "url"}).`,
    'invalid_content_block',
    `${param}.source`,
  );
}

/** Anthropic's document block (PDF or text, base64, URL or inline content) is carried whole: only Anthropic reads it. */
function documentPart(block: IngressBlock, param: string): DocumentContentPart {
  if (!isObject(block.source) || typeof block.source.type !== 'string') {
    throw badRequest(
      `${param}.source: must be a document source, e.g. {"type": "base64", "media_type": "application/pdf", "data"}, {"type": "url", "url"} or {"type": "text", "media_type": "text/plain", "data"}.`,
      'invalid_content_block',
      `${param}.source`,
    );
  }
  return { ...block, type: 'document', source: block.source };
}

/** One text part without a cache breakpoint is sent as a plain string, which every upstream reads. */
function compact<T extends UserContentPart>(parts: T[]): string | T[] {
  const [only] = parts;
  return parts.length === 1 && only?.type === 'text' && only.cache_control === undefined ? only.text : parts;
}

function toolResultContent(content: unknown, param: string): string | TextContentPart[] {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    throw badRequest(`${param}.content: must be a string or an array of text blocks.`, 'invalid_content_block', `${param}.content`);
  const parts = content.map((block: unknown, k) => {
    const where = `${param}.content.${k}`;
    if (!isObject(block) || block.type !== 'text')
      throw badRequest(`${where}: only text blocks are supported inside a tool_result.`, 'unsupported_content_block', where);
    return textPart(block as IngressBlock, where);
  });
  return compact(parts);
}

function toolMessage(block: IngressBlock, param: string): ToolMessage {
  if (typeof block.tool_use_id !== 'string' || block.tool_use_id === '')
    throw badRequest(`${param}.tool_use_id: Field required.`, 'invalid_content_block', `${param}.tool_use_id`);
  return { role: 'tool', tool_call_id: block.tool_use_id, content: toolResultContent(block.content, param) };
}

/**
 * A user turn. Its tool_result blocks become `tool` messages, placed first: OpenAI wants them
 * right after the assistant turn that called the tools, and Anthropic puts them first in the turn.
 */
function userMessages(content: IngressBlock[], param: string): ChatMessage[] {
  const results: ToolMessage[] = [];
  const parts: UserContentPart[] = [];
  content.forEach((block, j) => {
    const where = `${param}.content.${j}`;
    if (block.type === 'text') parts.push(textPart(block, where));
    else if (block.type === 'image') parts.push(imagePart(block, where));
    else if (block.type === 'document') parts.push(documentPart(block, where));
    else if (block.type === 'tool_result') results.push(toolMessage(block, where));
    else throw unsupportedBlock(block.type, where);
  });
  return parts.length === 0 && results.length > 0 ? results : [...results, { role: 'user', content: compact(parts) }];
}

function toolCall(block: IngressBlock, param: string): ToolCall {
  if (typeof block.id !== 'string' || typeof block.name !== 'string')
    throw badRequest(`${param}: tool_use blocks need a string "id" and "name".`, 'invalid_content_block', param);
  const input = block.input ?? {};
  if (!isObject(input)) throw badRequest(`${param}.input: must be an object.`, 'invalid_content_block', `${param}.input`);
  return { id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(input) } };
}

/** Thinking goes back to Anthropic exactly as it came (the signature covers it); tool use with thinking fails otherwise. */
function thinkingBlock(block: IngressBlock, param: string): ThinkingBlock {
  if (block.type === 'thinking' && typeof block.thinking === 'string' && typeof block.signature === 'string') {
    return { type: 'thinking', thinking: block.thinking, signature: block.signature };
  }
  if (block.type === 'redacted_thinking' && typeof block.data === 'string') return { type: 'redacted_thinking', data: block.data };
  const fields = block.type === 'thinking' ? '"thinking" and "signature"' : '"data"';
  throw badRequest(
    `${param}: ${block.type} blocks need string ${fields}, passed back exactly as the model returned them.`,
    'invalid_content_block',
    param,
  );
}

function assistantMessage(content: IngressBlock[], param: string): AssistantMessage {
  const texts: TextContentPart[] = [];
  const calls: ToolCall[] = [];
  const thinking: ThinkingBlock[] = [];
  content.forEach((block, j) => {
    const where = `${param}.content.${j}`;
    if (block.type === 'text') texts.push(textPart(block, where));
    else if (block.type === 'tool_use') calls.push(toolCall(block, where));
    else if (block.type === 'thinking' || block.type === 'redacted_thinking') thinking.push(thinkingBlock(block, where));
    else throw unsupportedBlock(block.type, where);
  });
  const text = texts.length > 0 ? compact(texts) : calls.length > 0 ? null : '';
  const reasoning = thinking.flatMap((b) => (b.type === 'thinking' ? [b.thinking] : [])).join('');
  return {
    role: 'assistant',
    content: text,
    ...(calls.length > 0 ? { tool_calls: calls } : {}),
    ...(thinking.length > 0 ? { thinking_blocks: thinking, ...(reasoning === '' ? {} : { reasoning_content: reasoning }) } : {}),
  };
}

function chatMessages(message: IngressMessage, i: number): ChatMessage[] {
  const param = `messages.${i}`;
  const { role, content } = message;
  if (role === 'user') return typeof content === 'string' ? [{ role, content }] : userMessages(content, param);
  return [typeof content === 'string' ? { role, content } : assistantMessage(content, param)];
}

function systemMessage(system: string | AnthropicTextBlock[] | undefined): SystemMessage[] {
  if (system === undefined) return [];
  if (typeof system === 'string') return system === '' ? [] : [{ role: 'system', content: system }];
  const parts = system.map((block, i) => textPart(block as unknown as IngressBlock, `system.${i}`));
  return parts.length === 0 ? [] : [{ role: 'system', content: compact(parts) }];
}

export function toFunctionTools(tools: readonly AnthropicTool[]): FunctionTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.input_schema },
  }));
}

export function toOpenAIToolChoice(choice: AnthropicToolChoice): ToolChoice {
  if (choice.type === 'tool') return { type: 'function', function: { name: choice.name } };
  return choice.type === 'any' ? 'required' : choice.type;
}

function toolFields(req: IngressRequest): Partial<ChatCompletionRequest> {
  // OpenAI refuses tool_choice and parallel_tool_calls without tools.
  if (!req.tools || req.tools.length === 0) return {};
  const choice = req.tool_choice;
  return {
    tools: toFunctionTools(req.tools),
    ...(choice ? { tool_choice: toOpenAIToolChoice(choice) } : {}),
    ...(choice?.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {}),
  };
}

function sampling(req: IngressRequest): Partial<ChatCompletionRequest> {
  const out: Partial<ChatCompletionRequest> = {};
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.top_p !== undefined) out.top_p = req.top_p;
  if (req.stop_sequences && req.stop_sequences.length > 0) out.stop = req.stop_sequences;
  if (req.top_k !== undefined) out.top_k = req.top_k;
  if (req.thinking !== undefined) out.thinking = req.thinking;
  return out;
}

export function toChatRequest(req: IngressRequest): ChatCompletionRequest {
  const userId = req.metadata?.user_id;
  return {
    model: req.model,
    messages: [...systemMessage(req.system), ...req.messages.flatMap(chatMessages)],
    max_tokens: req.max_tokens,
    ...sampling(req),
    ...toolFields(req),
    ...(typeof userId === 'string' && userId !== '' ? { user: userId } : {}),
    // Usage is always asked for, so the closing message_delta carries real token counts.
    ...(req.stream === true ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

/** Fields only Anthropic's API takes; OpenAI-style upstreams reject unknown parameters. */
const ANTHROPIC_ONLY = new Set(['top_k', 'thinking']);

/** Where the request's document blocks are ("messages.0.content.1"), to name one in a refusal. */
export function documentBlocks(req: Pick<IngressRequest, 'messages'>): string[] {
  return req.messages.flatMap((message, i) =>
    typeof message.content === 'string'
      ? []
      : message.content.flatMap((block, j) => (block.type === 'document' ? [`messages.${String(i)}.content.${String(j)}`] : [])),
  );
}

function documentsRefused(where: string, kind: ProviderKind): GatewayError {
  return badRequest(
    `${where}: document blocks are sent to Anthropic models only, and this model is served by a provider of kind "${kind}". Send the document's text in a text block, or use a claude model.`,
    'unsupported_content_block',
    where,
  );
}

function withoutCacheControl(message: ChatMessage): ChatMessage {
  if (!Array.isArray(message.content)) return message;
  const parts = message.content as readonly Json[];
  if (!parts.some((part) => 'cache_control' in part)) return message;
  const stripped = parts.map((part) =>
    Object.fromEntries(Object.entries(part).filter(([key]) => key !== 'cache_control')),
  ) as unknown as UserContentPart[];
  return { ...message, content: compact(stripped) } as ChatMessage;
}

/**
 * Reasoning in assistant history, for an upstream that is not Anthropic: vLLM and DeepSeek read
 * `reasoning_content` back (DeepSeek requires it while tools are in use); OpenAI rejects unknown
 * message fields. Signed thinking blocks and redacted thinking only Anthropic can read.
 */
function historyFor(message: ChatMessage, kind: ProviderKind): ChatMessage {
  if (message.role !== 'assistant' || (message.thinking_blocks === undefined && message.reasoning_content === undefined)) return message;
  const out: AssistantMessage = { ...message };
  delete out.thinking_blocks;
  if (kind !== 'openai-compatible' || typeof out.reasoning_content !== 'string') delete out.reasoning_content;
  return out;
}

/**
 * The request as one upstream kind takes it. Anthropic gets everything; the others lose the
 * Anthropic-only fields, and OpenAI itself gets max_completion_tokens, the only limit its
 * reasoning models accept (compatible servers such as vLLM know max_tokens better). Document
 * blocks (at `documents`, from documentBlocks) are refused for the others, naming the first.
 */
export function forTarget(req: ChatCompletionRequest, kind: ProviderKind, documents: readonly string[] = []): ChatCompletionRequest {
  if (kind === 'anthropic') return req;
  const [firstDocument] = documents;
  if (firstDocument !== undefined) throw documentsRefused(firstDocument, kind);
  const out = Object.fromEntries(Object.entries(req).filter(([key]) => !ANTHROPIC_ONLY.has(key))) as ChatCompletionRequest;
  out.messages = req.messages.map((message) => historyFor(withoutCacheControl(message), kind));
  if (kind === 'openai' && typeof out.max_tokens === 'number') {
    out.max_completion_tokens = out.max_tokens;
    delete out.max_tokens;
  }
  return out;
}
