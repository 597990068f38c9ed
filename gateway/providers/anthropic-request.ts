// OpenAI chat request → Anthropic Messages request. Pure. What Anthropic cannot express is refused
// with a 400 that names the parameter, instead of being dropped silently.
import { badRequest } from '../errors.ts';
import type { GatewayError } from '../errors.ts';
import type {
  AnthropicCacheControl,
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicRequest,
  AnthropicRequestBlock,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolUseBlock,
} from './anthropic-types.ts';
import type {
  AssistantMessage,
  ChatCompletionRequest,
  ChatMessage,
  FunctionTool,
  ImageContentPart,
  RefusalContentPart,
  TextContentPart,
  ToolCall,
  ToolChoice,
  UserMessage,
} from './types.ts';

/** Anthropic requires max_tokens; OpenAI lets the model decide. */
export const DEFAULT_MAX_TOKENS = 4096;

/** Anthropic parameters with no OpenAI equivalent that clients may send as extra fields. */
const NATIVE_EXTRAS = ['top_k', 'thinking'] as const;

function unsupported(what: string, param: string): GatewayError {
  return badRequest(`${what} is not supported by provider "anthropic". Remove it, or use a model from another provider.`, 'unsupported_parameter', param);
}

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
  if (data?.[1] !== undefined && data[2] !== undefined) return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
  if (/^https?:\/\//.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw badRequest('An image_url must be an http(s) URL or a base64 data URL.', 'invalid_image_url', param);
}

function userBlocks(message: UserMessage, param: string): AnthropicRequestBlock[] {
  if (typeof message.content === 'string') return textBlocks(message.content);
  return message.content.flatMap((part, i): AnthropicRequestBlock[] => {
    if (part.type === 'text') return part.text === '' ? [] : [textBlock(part)];
    if (part.type === 'image_url') return [imageBlock(part, `${param}.content[${i}]`)];
    throw unsupported(`Content part type "${part.type}"`, `${param}.content[${i}]`);
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

function assistantBlocks(message: AssistantMessage, param: string): AnthropicRequestBlock[] {
  const calls = (message.tool_calls ?? []).map((call, i) => toolUseBlock(call, `${param}.tool_calls[${i}]`));
  return [...textBlocks(message.content), ...calls];
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

function checkSupported(req: ChatCompletionRequest): void {
  if (typeof req.n === 'number' && req.n !== 1) throw unsupported('More than one choice (n > 1)', 'n');
  const format = req.response_format?.type;
  if (format !== undefined && format !== 'text') {
    throw unsupported(`response_format "${format}" (ask for JSON in the prompt or use a tool instead)`, 'response_format');
  }
}

function stopSequences(stop: ChatCompletionRequest['stop']): string[] | undefined {
  if (stop === null || stop === undefined) return undefined;
  return typeof stop === 'string' ? [stop] : stop;
}

function sampling(req: ChatCompletionRequest): Partial<AnthropicRequest> {
  const out: Partial<AnthropicRequest> = {};
  if (typeof req.temperature === 'number') out.temperature = req.temperature;
  if (typeof req.top_p === 'number') out.top_p = req.top_p;
  const stop = stopSequences(req.stop);
  if (stop) out.stop_sequences = stop;
  for (const key of NATIVE_EXTRAS) if (req[key] !== undefined) Object.assign(out, { [key]: req[key] });
  return out;
}

function toolFields(req: ChatCompletionRequest): Partial<AnthropicRequest> {
  const hasTools = req.tools !== undefined && req.tools.length > 0;
  const choice = hasTools ? toAnthropicToolChoice(req.tool_choice, req.parallel_tool_calls) : undefined;
  return {
    ...(hasTools && req.tools ? { tools: toAnthropicTools(req.tools) } : {}),
    ...(choice ? { tool_choice: choice } : {}),
  };
}

export function toAnthropicRequest(req: ChatCompletionRequest, upstreamModel: string, stream: boolean): AnthropicRequest {
  checkSupported(req);
  const system = toAnthropicSystem(req.messages);
  return {
    model: upstreamModel,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? DEFAULT_MAX_TOKENS,
    messages: toAnthropicMessages(req.messages),
    ...(system === undefined ? {} : { system }),
    ...sampling(req),
    ...toolFields(req),
    ...(req.user ? { metadata: { user_id: req.user } } : {}),
    ...(stream ? { stream: true } : {}),
  };
}
