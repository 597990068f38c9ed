// protocols/anthropic/upstream/: the gateway calls Anthropic (request, params, structured output
// out; response and stream back). The adapter that sends it is providers/anthropic/provider.ts.
//
// OpenAI chat request → Anthropic Messages request. Pure. What Anthropic cannot express is refused
// with a 400 that names the parameter, instead of being dropped silently: every top-level
// parameter has its decision in params.ts.
import { badRequest } from '../../../errors.ts';
import { refuseUntranslatable, unsupported } from './params.ts';
import { structuredOutputTool, structuredToolChoice, STRUCTURED_OUTPUT_TOOL, usesStructuredOutput } from './structured-output.ts';
import type {
  AnthropicCacheControl,
  AnthropicDocumentBlock,
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicRequest,
  AnthropicRequestBlock,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolUseBlock,
} from '../types.ts';
import type {
  AssistantMessage,
  ChatCompletionRequest,
  ChatMessage,
  FileContentPart,
  FunctionTool,
  ImageContentPart,
  RefusalContentPart,
  TextContentPart,
  ThinkingBlock,
  ToolCall,
  ToolChoice,
  UserMessage,
} from '../../openai/types.ts';

/** Anthropic requires max_tokens; OpenAI lets the model decide. */
export const DEFAULT_MAX_TOKENS = 4096;

/**
 * reasoning_effort → extended thinking's budget_tokens. Anthropic's minimum budget is 1024; the
 * rest doubles per step. "none" turns thinking off, as it does on OpenAI.
 */
export const THINKING_BUDGETS: Readonly<Record<string, number | undefined>> = {
  none: undefined,
  minimal: 1024,
  low: 2048,
  medium: 4096,
  high: 8192,
  xhigh: 16384,
  max: 32768,
};

function textBlock(part: TextContentPart): AnthropicTextBlock {
  const cache = part.cache_control as AnthropicCacheControl | undefined;
  return cache ? { type: 'text', text: part.text, cache_control: cache } : { type: 'text', text: part.text };
}

function textBlocks(content: string | readonly (TextContentPart | RefusalContentPart)[] | null | undefined): AnthropicTextBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return (content ?? [])
    .map((part) => (part.type === 'text' ? textBlock(part) : { type: 'text' as const, text: part.refusal }))
    .filter((block) => block.text !== '');
}

/** System and developer messages, wherever they stand, become the top-level `system`. */
export function toAnthropicSystem(messages: readonly ChatMessage[]): string | AnthropicTextBlock[] | undefined {
  const blocks = messages.flatMap((m) => (m.role === 'system' || m.role === 'developer' ? textBlocks(m.content) : []));
  if (blocks.length === 0) return undefined;
  // Keep blocks only when a prompt-cache breakpoint must survive; a string is the common case.
  return blocks.some((b) => b.cache_control) ? blocks : blocks.map((b) => b.text).join('\n\n');
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function imageBlock(part: ImageContentPart, param: string): AnthropicImageBlock {
  const url = part.image_url.url;
  const data = DATA_URL.exec(url);
  if (data?.[1] !== undefined && data[2] !== undefined)
    return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
  if (/^https?:\/\//.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw badRequest('An image_url must be an http(s) URL or a base64 data URL.', 'invalid_image_url', param);
}

/** OpenAI's `file` part with inline data (PDF or plain text) is Anthropic's `document` block. */
function fileDocument(part: FileContentPart, param: string): AnthropicDocumentBlock {
  const data = typeof part.file.file_data === 'string' ? DATA_URL.exec(part.file.file_data) : null;
  const title = typeof part.file.filename === 'string' && part.file.filename !== '' ? { title: part.file.filename } : {};
  const [, mediaType, base64] = data ?? [];
  if (mediaType === 'application/pdf' && base64 !== undefined)
    return { type: 'document', source: { type: 'base64', media_type: mediaType, data: base64 }, ...title };
  if (mediaType === 'text/plain' && base64 !== undefined) {
    return {
      type: 'document',
      source: { type: 'text', media_type: mediaType, data: Buffer.from(base64, 'base64').toString('utf8') },
      ...title,
    };
  }
  throw unsupported('A file part other than an inline PDF or plain-text data URL (file_data: "data:application/pdf;base64,...")', param);
}

function userBlocks(message: UserMessage, param: string): AnthropicRequestBlock[] {
  if (typeof message.content === 'string') return textBlocks(message.content);
  return message.content.flatMap((part, i): AnthropicRequestBlock[] => {
    const where = `${param}.content[${i}]`;
    if (part.type === 'text') return part.text === '' ? [] : [textBlock(part)];
    if (part.type === 'image_url') return [imageBlock(part, where)];
    if (part.type === 'file') return [fileDocument(part, where)];
    // Anthropic's own document block, carried whole from the /v1/messages ingress.
    if (part.type === 'document') return [{ ...part, type: 'document' }];
    throw unsupported(`Content part type "${part.type}"`, where);
  });
}

function toolUseBlock(call: ToolCall, param: string): AnthropicToolUseBlock {
  let input: unknown = {};
  try {
    if (call.function.arguments.trim() !== '') input = JSON.parse(call.function.arguments);
  } catch {
    throw badRequest('Tool call arguments must be a JSON object.', 'invalid_tool_arguments', param);
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw badRequest('Tool call arguments must be a JSON object.', 'invalid_tool_arguments', param);
  }
  return { type: 'tool_use', id: call.id, name: call.function.name, input: input as Record<string, unknown> };
}

/**
 * Thinking blocks go back exactly as Anthropic sent them (their signatures cover the text), first
 * in the turn as Anthropic wants. A bare `reasoning_content` (from vLLM or DeepSeek) has no
 * signature Anthropic would accept, and Anthropic leaves earlier turns' thinking out of the
 * context anyway, so it is not sent.
 */
function thinkingBlocks(blocks: readonly ThinkingBlock[] | undefined, param: string): AnthropicRequestBlock[] {
  return (blocks ?? []).map((block, i): AnthropicRequestBlock => {
    const { type } = block as { type: unknown };
    if (block.type === 'thinking' && typeof block.thinking === 'string' && typeof block.signature === 'string') {
      return { type: 'thinking', thinking: block.thinking, signature: block.signature };
    }
    if (block.type === 'redacted_thinking' && typeof block.data === 'string') return { type: 'redacted_thinking', data: block.data };
    throw badRequest(
      `${param}.thinking_blocks[${i}] must be {"type": "thinking", "thinking", "signature"} or {"type": "redacted_thinking", "data"}, as the model returned it; got type ${JSON.stringify(type)}.`,
      'invalid_value',
      `${param}.thinking_blocks[${i}]`,
    );
  });
}

function assistantBlocks(message: AssistantMessage, param: string): AnthropicRequestBlock[] {
  const calls = (message.tool_calls ?? []).map((call, i) => toolUseBlock(call, `${param}.tool_calls[${i}]`));
  return [...thinkingBlocks(message.thinking_blocks, param), ...textBlocks(message.content), ...calls];
}

function turn(message: ChatMessage, param: string): AnthropicMessageParam | undefined {
  switch (message.role) {
    case 'system':
    case 'developer':
      return undefined;
    case 'user':
      return { role: 'user', content: userBlocks(message, param) };
    case 'assistant':
      return { role: 'assistant', content: assistantBlocks(message, param) };
    case 'tool': {
      const content = typeof message.content === 'string' ? message.content : message.content.map((p) => p.text).join('');
      return { role: 'user', content: [{ type: 'tool_result', tool_use_id: message.tool_call_id, content }] };
    }
    default:
      throw unsupported(`The message role "${(message as { role: string }).role}"`, param);
  }
}

/**
 * The conversation without system messages. Consecutive turns of one role are merged: several
 * `tool` messages answering one assistant turn must reach Anthropic as one user turn holding all
 * the tool_result blocks.
 */
export function toAnthropicMessages(messages: readonly ChatMessage[]): AnthropicMessageParam[] {
  const out: AnthropicMessageParam[] = [];
  messages.forEach((message, i) => {
    const next = turn(message, `messages[${i}]`);
    if (!next) return;
    const last = out.at(-1);
    if (last?.role === next.role) last.content.push(...next.content);
    else out.push(next);
  });
  return out;
}

export function toAnthropicTools(tools: readonly FunctionTool[]): AnthropicTool[] {
  return tools.map((tool, i) => {
    // Clients send built-in tool types (web_search, ...) that only OpenAI understands.
    const type: string = (tool as { type: string }).type;
    if (type !== 'function') throw unsupported(`Tool type "${type}"`, `tools[${i}]`);
    const { name, description, parameters } = tool.function;
    return {
      name,
      ...(description ? { description } : {}),
      input_schema: parameters ?? { type: 'object', properties: {} },
    };
  });
}

export function toAnthropicToolChoice(choice: ToolChoice | undefined, parallel: boolean | undefined): AnthropicToolChoice | undefined {
  const noParallel = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return parallel === false ? { type: 'auto', ...noParallel } : undefined;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...noParallel };
  if (choice === 'required') return { type: 'any', ...noParallel };
  return { type: 'tool', name: choice.function.name, ...noParallel };
}

function stopSequences(stop: ChatCompletionRequest['stop']): string[] | undefined {
  if (stop === null || stop === undefined) return undefined;
  return typeof stop === 'string' ? [stop] : stop;
}

function sampling(req: ChatCompletionRequest): Partial<AnthropicRequest> {
  const out: Partial<AnthropicRequest> = {};
  if (typeof req.temperature === 'number') {
    // OpenAI's scale runs to 2, Anthropic's to 1; rescaling would change what the value means.
    if (req.temperature > 1) throw unsupported(`temperature ${String(req.temperature)} (Anthropic's range is 0 to 1)`, 'temperature');
    out.temperature = req.temperature;
  }
  if (typeof req.top_p === 'number') out.top_p = req.top_p;
  if (typeof req.top_k === 'number') out.top_k = req.top_k;
  const stop = stopSequences(req.stop);
  if (stop) out.stop_sequences = stop;
  return out;
}

function thinkingBudget(effort: unknown): number | undefined {
  if (typeof effort !== 'string' || !Object.hasOwn(THINKING_BUDGETS, effort)) {
    throw badRequest(`reasoning_effort must be one of ${Object.keys(THINKING_BUDGETS).join(', ')}.`, 'invalid_value', 'reasoning_effort');
  }
  return THINKING_BUDGETS[effort];
}

/** max_tokens and thinking: Anthropic counts the thinking budget inside max_tokens, as OpenAI counts reasoning tokens inside max_completion_tokens. */
function budget(req: ChatCompletionRequest): Pick<AnthropicRequest, 'max_tokens' | 'thinking'> {
  const limit = req.max_completion_tokens ?? req.max_tokens ?? undefined;
  const effort = req.reasoning_effort;
  const thinking = req.thinking ?? undefined;
  if (effort === undefined || effort === null)
    return { max_tokens: limit ?? DEFAULT_MAX_TOKENS, ...(thinking === undefined ? {} : { thinking }) };
  if (thinking !== undefined) throw badRequest('Send either reasoning_effort or thinking, not both.', 'invalid_value', 'reasoning_effort');
  const budgetTokens = thinkingBudget(effort);
  if (budgetTokens === undefined) return { max_tokens: limit ?? DEFAULT_MAX_TOKENS };
  if (limit !== undefined && limit <= budgetTokens) {
    throw badRequest(
      `reasoning_effort ${JSON.stringify(effort)} gives Claude a thinking budget of ${String(budgetTokens)} tokens, which must be less than max_tokens (${String(limit)}). Raise max_tokens or lower reasoning_effort.`,
      'invalid_value',
      'reasoning_effort',
    );
  }
  return { max_tokens: limit ?? budgetTokens + DEFAULT_MAX_TOKENS, thinking: { type: 'enabled', budget_tokens: budgetTokens } };
}

function toolFields(req: ChatCompletionRequest, thinking: boolean): Partial<AnthropicRequest> {
  const clientTools = req.tools && req.tools.length > 0 ? toAnthropicTools(req.tools) : [];
  if (!usesStructuredOutput(req) || !req.response_format) {
    const choice = clientTools.length > 0 ? toAnthropicToolChoice(req.tool_choice, req.parallel_tool_calls) : undefined;
    return { ...(clientTools.length > 0 ? { tools: clientTools } : {}), ...(choice ? { tool_choice: choice } : {}) };
  }
  const clash = clientTools.findIndex((tool) => tool.name === STRUCTURED_OUTPUT_TOOL);
  if (clash !== -1)
    throw badRequest(
      `With response_format, the tool name "${STRUCTURED_OUTPUT_TOOL}" is reserved for provider "anthropic". Rename the tool.`,
      'invalid_value',
      `tools[${String(clash)}]`,
    );
  const choice = structuredToolChoice(req.tool_choice, clientTools.length > 0, thinking);
  const noParallel = req.parallel_tool_calls === false && choice.type !== 'none' ? { disable_parallel_tool_use: true } : {};
  return { tools: [...clientTools, structuredOutputTool(req.response_format)], tool_choice: { ...choice, ...noParallel } };
}

/** Anthropic's priority tier is bought per account; per request it only lets one opt out of it. */
function serviceTier(tier: unknown): Pick<AnthropicRequest, 'service_tier'> {
  if (tier === undefined || tier === null) return {};
  if (tier === 'auto') return { service_tier: 'auto' };
  if (tier === 'default') return { service_tier: 'standard_only' };
  throw unsupported(`service_tier ${JSON.stringify(tier)} (Anthropic takes "auto" or "default")`, 'service_tier');
}

function endUser(req: ChatCompletionRequest): Pick<AnthropicRequest, 'metadata'> {
  // safety_identifier is OpenAI's newer name for what `user` was for: abuse reports about an end user.
  const id = req.user ?? req.safety_identifier;
  return typeof id === 'string' && id !== '' ? { metadata: { user_id: id } } : {};
}

export function toAnthropicRequest(req: ChatCompletionRequest, upstreamModel: string, stream: boolean): AnthropicRequest {
  refuseUntranslatable(req);
  const format = req.response_format?.type;
  if (format !== undefined && format !== 'text' && !usesStructuredOutput(req))
    throw unsupported(`response_format "${format}"`, 'response_format');
  const system = toAnthropicSystem(req.messages);
  const limits = budget(req);
  return {
    model: upstreamModel,
    ...limits,
    messages: toAnthropicMessages(req.messages),
    ...(system === undefined ? {} : { system }),
    ...sampling(req),
    ...toolFields(req, limits.thinking !== undefined && (limits.thinking as { type?: unknown }).type !== 'disabled'),
    ...endUser(req),
    ...serviceTier(req.service_tier),
    ...(stream ? { stream: true } : {}),
  };
}
