// Token usage: taken from the upstream whenever it reports it, estimated (and flagged) when it
// does not. Missing or zero prompt_tokens in streamed responses is the most common accounting bug
// across gateways, so a zero prompt count for a non-empty prompt counts as missing.
//
// The estimate is deliberately simple and documented rather than exact: about 4 characters per
// token over all text (OpenAI's rule of thumb for English), plus 4 tokens per message for role
// and delimiters, 3 for priming the reply, and a flat 85 per image (OpenAI's low-detail price).
import type { UsageReport } from './provider-client.ts';
import type { ChatCompletion, ChatCompletionRequest, ChatMessage, EmbeddingsRequest, Usage } from '../protocols/openai/types.ts';

export const CHARS_PER_TOKEN = 4;
export const TOKENS_PER_MESSAGE = 4;
export const REPLY_PRIMING_TOKENS = 3;
export const TOKENS_PER_IMAGE = 85;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

interface ContentMeasure {
  text: string;
  images: number;
}

function measureContent(content: ChatMessage['content']): ContentMeasure {
  if (typeof content === 'string') return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: '', images: 0 };
  let text = '';
  let images = 0;
  for (const part of content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'refusal') text += part.refusal;
    else if (part.type === 'image_url') images++;
  }
  return { text, images };
}

function messageTokens(message: ChatMessage): number {
  const { text, images } = measureContent(message.content);
  const calls = message.role === 'assistant' ? (message.tool_calls ?? []) : [];
  const callText = calls.map((c) => c.function.name + c.function.arguments).join('');
  return TOKENS_PER_MESSAGE + estimateTokens(text + callText) + images * TOKENS_PER_IMAGE;
}

export function estimatePromptTokens(req: Pick<ChatCompletionRequest, 'messages' | 'tools'>): number {
  const tools = req.tools && req.tools.length > 0 ? estimateTokens(JSON.stringify(req.tools)) : 0;
  return req.messages.reduce((sum, m) => sum + messageTokens(m), REPLY_PRIMING_TOKENS) + tools;
}

/** All generated text of a completion: content plus tool-call names and arguments. */
export function completionText(completion: Pick<ChatCompletion, 'choices'>): string {
  let text = '';
  for (const choice of completion.choices) {
    text += choice.message.content ?? '';
    for (const call of choice.message.tool_calls ?? []) text += call.function.name + call.function.arguments;
  }
  return text;
}

export function estimateEmbeddingTokens(req: Pick<EmbeddingsRequest, 'input'>): number {
  const inputs: unknown[] = Array.isArray(req.input) ? req.input : [req.input];
  return inputs.reduce<number>((sum, item) => {
    if (typeof item === 'string') return sum + estimateTokens(item);
    if (Array.isArray(item)) return sum + item.length; // already token ids
    return sum + 1; // one token id
  }, 0);
}

export interface UsageEstimate {
  promptTokens: number;
  completionTokens: number;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The upstream's usage where it is believable, the estimate where it is missing. */
export function reconcileUsage(reported: Partial<Usage> | null | undefined, estimate: UsageEstimate): UsageReport {
  const reportedPrompt = count(reported?.prompt_tokens);
  const reportedCompletion = count(reported?.completion_tokens);
  const promptMissing = reportedPrompt === undefined || (reportedPrompt === 0 && estimate.promptTokens > 0);
  const prompt = promptMissing ? estimate.promptTokens : reportedPrompt;
  const completion = reportedCompletion ?? estimate.completionTokens;
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (reported?.prompt_tokens_details) usage.prompt_tokens_details = reported.prompt_tokens_details;
  if (reported?.completion_tokens_details) usage.completion_tokens_details = reported.completion_tokens_details;
  return { usage, usageEstimated: promptMissing || reportedCompletion === undefined };
}
