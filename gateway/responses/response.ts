// The gateway's internal OpenAI chat completion → a Responses API `response` object. Pure. The
// request's settings are echoed as OpenAI does; the usage is the reconciled report the gateway
// accounts with (the upstream's figures where it sent them).
import type { FinishReason, ResponseMessage, Usage } from '../protocols/openai/types.ts';
import type { ItemIds } from './input-items.ts';
import type { FunctionCallItem, MessageContent, OutputItem, ResponseObject, ResponsesRequest, ResponseUsage } from './types.ts';

/** What a response is known by before the model answers. */
export interface ResponseContext {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  request: ResponsesRequest;
  /** Names the output items (ids.ts). */
  outputIds: ItemIds;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

export function toResponseUsage(usage: Usage): ResponseUsage {
  const input = count(usage.prompt_tokens);
  const output = count(usage.completion_tokens);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: count(usage.prompt_tokens_details?.cached_tokens) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: count(usage.completion_tokens_details?.reasoning_tokens) },
    total_tokens: input + output,
  };
}

type EchoedSettings = Omit<
  ResponseObject,
  'id' | 'object' | 'created_at' | 'status' | 'completed_at' | 'error' | 'incomplete_details' | 'output' | 'usage'
>;

/** How the model was asked to generate, as the response object echoes it (OpenAI's defaults filled in). */
function generationSettings(
  req: ResponsesRequest,
): Pick<EchoedSettings, 'instructions' | 'max_output_tokens' | 'model' | 'reasoning' | 'temperature' | 'text' | 'top_p' | 'truncation'> {
  return {
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: req.model,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    temperature: req.temperature ?? null,
    text: { format: req.text?.format ?? { type: 'text' } },
    top_p: req.top_p ?? null,
    truncation: 'disabled',
  };
}

/** The request's other settings as the response object echoes them. */
function echoedSettings(req: ResponsesRequest): EchoedSettings {
  return {
    ...generationSettings(req),
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id ?? null,
    store: req.store ?? true,
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    user: req.user ?? null,
    safety_identifier: req.safety_identifier ?? null,
    metadata: req.metadata ?? {},
  };
}

/** The response as it stands before any output: what response.created carries. */
export function inProgressResponse(ctx: ResponseContext): ResponseObject {
  return {
    id: ctx.id,
    object: 'response',
    created_at: ctx.createdAt,
    status: 'in_progress',
    completed_at: null,
    error: null,
    incomplete_details: null,
    output: [],
    usage: null,
    ...echoedSettings(ctx.request),
  };
}

/** OpenAI's finish reasons that mean the output was cut short. */
export function incompleteReason(finish: FinishReason | null | undefined): 'max_output_tokens' | 'content_filter' | undefined {
  if (finish === 'length') return 'max_output_tokens';
  return finish === 'content_filter' ? 'content_filter' : undefined;
}

/** The response once the model is done, with its output items and usage. */
export function finishedResponse(
  ctx: ResponseContext,
  finished: { output: OutputItem[]; usage: Usage; finish: FinishReason | null | undefined; completedAt: number },
): ResponseObject {
  const reason = incompleteReason(finished.finish);
  return {
    ...inProgressResponse(ctx),
    status: reason ? 'incomplete' : 'completed',
    completed_at: reason ? null : finished.completedAt,
    incomplete_details: reason ? { reason } : null,
    output: finished.output,
    usage: toResponseUsage(finished.usage),
  };
}

/** A response that failed after it was announced (a stream cut short): what response.failed carries. */
export function failedResponse(ctx: ResponseContext, output: OutputItem[], error: { code: string; message: string }): ResponseObject {
  return { ...inProgressResponse(ctx), status: 'failed', output, error };
}

export function functionCallItem(
  ids: ItemIds,
  n: number,
  call: { id?: string | undefined; name: string; arguments: string },
  status: FunctionCallItem['status'],
): FunctionCallItem {
  // Some compatible servers leave the call id out; the client needs one to send the output back.
  const callId = call.id !== undefined && call.id !== '' ? call.id : ids('fc', n).replace(/^fc_/, 'call_');
  return { id: ids('fc', n), type: 'function_call', call_id: callId, name: call.name, arguments: call.arguments, status };
}

/** The output items of a chat completion's message: its text (or refusal), then its function calls. */
export function outputItems(message: ResponseMessage | undefined, ids: ItemIds, status: 'completed' | 'incomplete'): OutputItem[] {
  const calls = message?.tool_calls ?? [];
  const content: MessageContent[] = [];
  const text = message?.content;
  if (typeof text === 'string' && text !== '') content.push({ type: 'output_text', text, annotations: [] });
  if (typeof message?.refusal === 'string' && message.refusal !== '') content.push({ type: 'refusal', refusal: message.refusal });
  // A reply with neither text nor calls is still a (blank) message, so output_text reads "".
  if (content.length === 0 && calls.length === 0) content.push({ type: 'output_text', text: '', annotations: [] });
  const items: OutputItem[] = content.length > 0 ? [{ id: ids('msg', 0), type: 'message', role: 'assistant', status, content }] : [];
  calls.forEach((call, n) =>
    items.push(functionCallItem(ids, n, { id: call.id, name: call.function.name, arguments: call.function.arguments }, status)),
  );
  return items;
}
