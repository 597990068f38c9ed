// A Responses request and its context items → the gateway's internal OpenAI chat request, which
// takes the chat path to any upstream (OpenAI, Anthropic, vLLM). Pure.
//   instructions             → a leading system message (never carried over from a previous response)
//   message items            → system / developer / user / assistant messages
//   function_call items      → tool_calls of one assistant message (consecutive calls share it)
//   function_call_output     → tool messages
//   reasoning items          → left out (only a Responses upstream reads them: native.ts)
//   text.format              → response_format; max_output_tokens → max_tokens
//   reasoning.effort         → reasoning_effort, for the upstreams that take it (forTarget)
import { forTarget as chatForTarget } from '../protocols/anthropic/ingress/request.ts';
import type { ProviderKind } from '../providers/provider-client.ts';
import type {
  AssistantMessage,
  ChatCompletionRequest,
  ChatMessage,
  FunctionTool,
  ResponseFormat,
  TextContentPart,
  ToolChoice,
  UserContentPart,
} from '../protocols/openai/types.ts';
import type { ContextItem, MessageContent, MessageItem, ResponsesRequest, TextFormat, ToolChoiceParam } from './types.ts';

function partText(part: MessageContent): string {
  if (part.type === 'refusal') return part.refusal;
  return part.type === 'input_image' ? '' : part.text;
}

function joinedText(content: readonly MessageContent[]): string {
  return content.map(partText).join('');
}

function userContent(content: readonly MessageContent[]): string | UserContentPart[] {
  if (content.every((part) => part.type !== 'input_image')) return joinedText(content);
  return content.map(
    (part): UserContentPart =>
      part.type === 'input_image'
        ? { type: 'image_url', image_url: { url: part.image_url, detail: part.detail } }
        : { type: 'text', text: partText(part) },
  );
}

function chatMessage(item: MessageItem): ChatMessage {
  if (item.role === 'user') return { role: 'user', content: userContent(item.content) };
  if (item.role === 'assistant') return { role: 'assistant', content: joinedText(item.content) };
  return { role: item.role, content: joinedText(item.content) };
}

function toolContent(output: string | readonly { text: string }[]): string | TextContentPart[] {
  return typeof output === 'string' ? output : output.map((part) => ({ type: 'text', text: part.text }));
}

/** Adds a function call to the assistant message just before it, or starts one. */
function addToolCall(messages: ChatMessage[], item: Extract<ContextItem, { type: 'function_call' }>): void {
  const call = { id: item.call_id, type: 'function' as const, function: { name: item.name, arguments: item.arguments } };
  const last = messages.at(-1);
  if (last?.role !== 'assistant') {
    messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    return;
  }
  const assistant: AssistantMessage = last;
  assistant.tool_calls = [...(assistant.tool_calls ?? []), call];
  // OpenAI wants null, not "", beside tool calls when there is no text.
  if (assistant.content === '') assistant.content = null;
}

/** The chat messages for a context; consecutive function calls share one assistant message. */
export function toChatMessages(items: readonly ContextItem[], instructions: string | undefined): ChatMessage[] {
  const messages: ChatMessage[] = instructions ? [{ role: 'system', content: instructions }] : [];
  for (const item of items) {
    if (item.type === 'message') messages.push(chatMessage(item));
    else if (item.type === 'function_call_output')
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: toolContent(item.output) });
    else if (item.type === 'function_call') addToolCall(messages, item);
    // Reasoning items are the Responses API's own; a chat upstream has nowhere to take them.
  }
  return messages;
}

function chatTools(req: ResponsesRequest): Partial<ChatCompletionRequest> {
  if (!req.tools || req.tools.length === 0) return {};
  const tools: FunctionTool[] = req.tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
      ...(tool.parameters ? { parameters: tool.parameters } : {}),
      ...(typeof tool.strict === 'boolean' ? { strict: tool.strict } : {}),
    },
  }));
  return {
    tools,
    ...(req.tool_choice !== undefined ? { tool_choice: chatToolChoice(req.tool_choice) } : {}),
    ...(req.parallel_tool_calls !== undefined ? { parallel_tool_calls: req.parallel_tool_calls } : {}),
  };
}

function chatToolChoice(choice: ToolChoiceParam): ToolChoice {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

export function chatResponseFormat(format: TextFormat | undefined): ResponseFormat | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const { name, schema, description, strict } = format;
  return {
    type: 'json_schema',
    json_schema: {
      name,
      schema,
      ...(description !== undefined ? { description } : {}),
      ...(typeof strict === 'boolean' ? { strict } : {}),
    },
  };
}

export function toChatRequest(req: ResponsesRequest, context: readonly ContextItem[]): ChatCompletionRequest {
  const format = chatResponseFormat(req.text?.format);
  return {
    model: req.model,
    messages: toChatMessages(context, req.instructions ?? undefined),
    ...(req.max_output_tokens !== undefined ? { max_tokens: req.max_output_tokens } : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.top_p !== undefined ? { top_p: req.top_p } : {}),
    ...(format ? { response_format: format } : {}),
    ...chatTools(req),
    // Kept for the upstream's abuse reports, as on /v1/chat/completions.
    ...(req.user !== undefined ? { user: req.user } : {}),
    ...(req.safety_identifier !== undefined ? { safety_identifier: req.safety_identifier } : {}),
    // Usage is always asked for, so response.completed carries real token counts.
    ...(req.stream === true ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

/**
 * The chat request as one upstream kind takes it: the chat dialect's own adjustments (OpenAI's
 * max_completion_tokens), plus the reasoning effort where the upstream speaks OpenAI's dialect.
 * Anthropic's Messages API has no effort level to pass it as.
 */
export function forTarget(body: ChatCompletionRequest, kind: ProviderKind, effort: string | undefined): ChatCompletionRequest {
  const out = chatForTarget(body, kind);
  return effort !== undefined && kind !== 'anthropic' ? { ...out, reasoning_effort: effort } : out;
}
