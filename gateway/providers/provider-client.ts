// providers/: the adapters that call an upstream, one folder each (openai-compatible/, anthropic/),
// over one HTTP transport (transport/). Beside them: this interface, which adapter serves which
// kind (provider-for.ts), the stream plumbing they share (chat-stream.ts), usage reconciliation
// and estimates (usage.ts) and the models a provider key can reach (provider-models.ts).
//
// The one interface the request path uses to reach any upstream LLM API. Implementations take an
// OpenAI-shaped request and give back OpenAI-shaped responses, whatever the upstream speaks.
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  Completion,
  CompletionRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
  Usage,
} from '../protocols/openai/types.ts';

export type ProviderKind = 'openai' | 'anthropic' | 'openai-compatible';

/** Where and as whom to call upstream for one request. */
export interface ProviderTarget {
  kind: ProviderKind;
  /**
   * Base URL in the convention of the provider's official SDK: it includes the version prefix for
   * OpenAI-compatible APIs ("https://api.openai.com/v1", "http://vllm:8000/v1") and not for
   * Anthropic ("https://api.anthropic.com").
   */
  baseURL: string;
  /** The provider key. Optional for local vLLM servers that take none. Never logged. */
  apiKey?: string;
  /** The model name sent upstream; the client's own model name is restored in responses. */
  upstreamModel: string;
  /** Shown in error messages instead of `kind`, e.g. "groq" (never secret). */
  providerName?: string;
  /** Extra request headers, e.g. "OpenAI-Organization" or "anthropic-beta". */
  headers?: Record<string, string>;
}

export interface UsageReport {
  usage: Usage;
  /** True when the upstream did not report (all of) the usage and some of it was estimated. */
  usageEstimated: boolean;
}

export interface ChatResult extends UsageReport {
  /** The response in OpenAI's shape, with `model` set to the name the client asked for. */
  response: ChatCompletion;
  /** The upstream's request id, for logs and support tickets. */
  upstreamRequestId: string | undefined;
}

/**
 * The chunks of one streamed completion, in OpenAI's shape. Iterate once. A failure before the
 * first byte is thrown by `chatStream` itself (so the gateway can still answer with an error
 * status); a failure after it is thrown by the iteration as a GatewayError (status 499 when the
 * caller's signal was aborted). Breaking out of the loop releases the upstream connection; a
 * stream that is never iterated holds it until the signal is aborted or the body timeout fires.
 */
export interface ChatStream<Chunk = ChatCompletionChunk> extends AsyncIterable<Chunk> {
  /**
   * Usage of the whole exchange. Call it once the iteration has ended, normally or not: it holds
   * the upstream's figures where it sent them and an estimate (flagged) for whatever is missing.
   */
  usage(): UsageReport;
  readonly upstreamRequestId: string | undefined;
}

export interface EmbeddingsResult extends UsageReport {
  response: EmbeddingsResponse;
  upstreamRequestId: string | undefined;
}

export interface CompletionResult extends UsageReport {
  /** The legacy completion, with `model` set to the name the client asked for. */
  response: Completion;
  upstreamRequestId: string | undefined;
}

/** A streamed legacy completion: the same contract as a chat stream, in `text_completion` chunks. */
export type CompletionStream = ChatStream<Completion>;

/**
 * A Responses API request as the gateway sends it upstream: the client's fields with the whole
 * context in `input` (the gateway keeps the conversation, so no previous_response_id) and the
 * client's model name in `model`; the provider puts in the upstream's model name and `stream`.
 */
export interface ResponsesUpstreamBody {
  model: string;
  input: Record<string, unknown>[];
  [field: string]: unknown;
}

/** One Responses stream event as the upstream sent it (the client's model name restored). */
export interface UpstreamResponseEvent {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}

export interface ResponsesResult extends UsageReport {
  /** The upstream's response object, with `model` set to the name the client asked for. */
  response: Record<string, unknown>;
  upstreamRequestId: string | undefined;
}

/** A streamed response: the upstream's events, ending with its terminal event (completed, incomplete or failed). */
export type ResponsesStream = ChatStream<UpstreamResponseEvent>;

export interface ProviderClient {
  chat(req: ChatCompletionRequest, target: ProviderTarget, signal: AbortSignal): Promise<ChatResult>;
  chatStream(req: ChatCompletionRequest, target: ProviderTarget, signal: AbortSignal): Promise<ChatStream>;
  embeddings(req: EmbeddingsRequest, target: ProviderTarget, signal: AbortSignal): Promise<EmbeddingsResult>;
  /** The prompt's input tokens as the upstream counts them; absent where the upstream has no such API. */
  countTokens?(req: ChatCompletionRequest, target: ProviderTarget, signal: AbortSignal): Promise<number>;
  /** The legacy Completions API; absent for providers that have none (Anthropic retired theirs). */
  completions?(req: CompletionRequest, target: ProviderTarget, signal: AbortSignal): Promise<CompletionResult>;
  completionsStream?(req: CompletionRequest, target: ProviderTarget, signal: AbortSignal): Promise<CompletionStream>;
  /** OpenAI's Responses API, where the upstream speaks it (the gateway translates to chat elsewhere). */
  responses?(body: ResponsesUpstreamBody, target: ProviderTarget, signal: AbortSignal): Promise<ResponsesResult>;
  responsesStream?(body: ResponsesUpstreamBody, target: ProviderTarget, signal: AbortSignal): Promise<ResponsesStream>;
}

/** The name a user sees for the provider in messages. */
export function providerLabel(target: Pick<ProviderTarget, 'kind' | 'providerName'>): string {
  return target.providerName ?? target.kind;
}
