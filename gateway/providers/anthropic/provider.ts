// providers/anthropic/: the ProviderClient for Anthropic upstreams; the translation it uses is in
// protocols/anthropic/upstream/.
//
// Client for Anthropic's Messages API behind the OpenAI Chat Completions interface.
import { GatewayError } from '../../errors.ts';
import { toAnthropicRequest } from '../../protocols/anthropic/upstream/request.ts';
import { toChatCompletion, toOpenAIUsage } from '../../protocols/anthropic/upstream/response.ts';
import { createAnthropicStreamState, translateAnthropicEvent } from '../../protocols/anthropic/upstream/stream.ts';
import type { AnthropicStreamState } from '../../protocols/anthropic/upstream/stream.ts';
import { usesStructuredOutput } from '../../protocols/anthropic/upstream/structured-output.ts';
import type {
  AnthropicCountTokensRequest,
  AnthropicMessage,
  AnthropicRequest,
  AnthropicStreamEvent,
} from '../../protocols/anthropic/types.ts';
import { guardStream, makeChatStream, streamStateInit } from '../chat-stream.ts';
import { providerLabel } from '../provider-client.ts';
import type { ChatResult, ChatStream, ProviderClient, ProviderTarget, UsageReport } from '../provider-client.ts';
import { parseServerSentEvents } from '../transport/sse.ts';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../../protocols/openai/types.ts';
import { upstreamProtocolError } from '../transport/upstream-errors.ts';
import { headerValue, joinUrl } from '../transport/upstream-http.ts';
import type { UpstreamCall, UpstreamHttp, UpstreamResponse } from '../transport/upstream-http.ts';
import { CHARS_PER_TOKEN, completionText, estimatePromptTokens, estimateTokens, reconcileUsage } from '../usage.ts';

/** The API version whose request and event shapes this translation implements. */
export const ANTHROPIC_VERSION = '2023-06-01';

interface AnthropicCallSpec {
  path: string;
  body: AnthropicRequest | AnthropicCountTokensRequest;
  /** The client's model name, for error messages. */
  model: string;
  signal: AbortSignal;
  stream: boolean;
}

function anthropicCall(target: ProviderTarget, { path, body, model, signal, stream }: AnthropicCallSpec): UpstreamCall {
  return {
    url: joinUrl(target.baseURL, path),
    headers: {
      ...target.headers,
      'anthropic-version': ANTHROPIC_VERSION,
      ...(target.apiKey ? { 'x-api-key': target.apiKey } : {}),
      ...(stream ? { accept: 'text/event-stream' } : {}),
    },
    body,
    signal,
    provider: providerLabel(target),
    secrets: target.apiKey ? [target.apiKey] : [],
    model,
  };
}

function messagesCall(req: ChatCompletionRequest, target: ProviderTarget, signal: AbortSignal, stream: boolean): UpstreamCall {
  return anthropicCall(target, {
    path: '/v1/messages',
    body: toAnthropicRequest(req, target.upstreamModel, stream),
    model: req.model,
    signal,
    stream,
  });
}

/** count_tokens takes the prompt side of a message request only; generation settings are extra inputs to it. */
export function toCountTokensRequest(req: ChatCompletionRequest, upstreamModel: string): AnthropicCountTokensRequest {
  const { model, messages, system, tools, tool_choice: toolChoice, thinking } = toAnthropicRequest(req, upstreamModel, false);
  return {
    model,
    messages,
    ...(system === undefined ? {} : { system }),
    ...(tools === undefined ? {} : { tools }),
    ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }),
    ...(thinking === undefined ? {} : { thinking }),
  };
}

async function readTokenCount(res: UpstreamResponse, provider: string): Promise<number> {
  let value: unknown;
  try {
    value = JSON.parse(await res.body.text());
  } catch {
    throw upstreamProtocolError(provider, 'the body is not JSON');
  }
  const count = (value as { input_tokens?: unknown } | null)?.input_tokens;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
    throw upstreamProtocolError(provider, 'the token count has no input_tokens');
  return count;
}

function isMessage(value: unknown): value is AnthropicMessage {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<AnthropicMessage>;
  return v.type === 'message' && typeof v.id === 'string' && Array.isArray(v.content);
}

async function readMessage(res: UpstreamResponse, provider: string): Promise<AnthropicMessage> {
  let value: unknown;
  try {
    value = JSON.parse(await res.body.text());
  } catch {
    throw upstreamProtocolError(provider, 'the body is not JSON');
  }
  if (!isMessage(value)) throw upstreamProtocolError(provider, 'the body is not a message');
  return value;
}

function parseEvent(data: string, provider: string): AnthropicStreamEvent {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw upstreamProtocolError(provider, 'a stream event is not JSON');
  }
  if (value === null || typeof value !== 'object' || typeof (value as { type?: unknown }).type !== 'string') {
    throw upstreamProtocolError(provider, 'a stream event has no type');
  }
  return value as AnthropicStreamEvent;
}

function streamUsage(state: AnthropicStreamState, promptEstimate: number): UsageReport {
  return reconcileUsage(toOpenAIUsage(state.usage), {
    promptTokens: promptEstimate,
    completionTokens: Math.ceil(state.completionChars / CHARS_PER_TOKEN),
  });
}

async function* translateStream(
  res: UpstreamResponse,
  state: AnthropicStreamState,
  promptEstimate: number,
): AsyncGenerator<ChatCompletionChunk> {
  for await (const event of parseServerSentEvents(res.body as AsyncIterable<Uint8Array>)) {
    // After message_stop, read on to the end of the body instead of breaking off: an abandoned
    // body costs the pooled keep-alive connection.
    if (state.sawStop) continue;
    yield* translateAnthropicEvent(state, parseEvent(event.data, state.provider));
  }
  if (!state.sawStop) throw upstreamProtocolError(state.provider, 'the stream ended before message_stop');
  if (!state.includeUsage) return;
  const { usage } = streamUsage(state, promptEstimate);
  yield { id: state.id, object: 'chat.completion.chunk', created: state.created, model: state.model, choices: [], usage };
}

export function embeddingsUnsupported(provider: string): GatewayError {
  return new GatewayError(
    `Provider "${provider}" has no embeddings API. Use a model served by an OpenAI-compatible provider for embeddings.`,
    { status: 400, type: 'invalid_request_error', code: 'embeddings_not_supported', param: 'model' },
  );
}

export function createAnthropicProvider(http: UpstreamHttp, now: () => number = Date.now): ProviderClient {
  return {
    async chat(req, target, signal): Promise<ChatResult> {
      const upstream = messagesCall(req, target, signal, false);
      const res = await http.postJson(upstream);
      const message = await readMessage(res, upstream.provider);
      const response = toChatCompletion(message, {
        model: req.model,
        created: Math.floor(now() / 1000),
        structuredOutput: usesStructuredOutput(req),
      });
      const reasoning = response.choices[0]?.message.reasoning_content ?? '';
      const report = reconcileUsage(toOpenAIUsage(message.usage), {
        promptTokens: estimatePromptTokens(req),
        completionTokens: estimateTokens(completionText(response) + reasoning),
      });
      response.usage = report.usage;
      return { response, ...report, upstreamRequestId: headerValue(res.headers, 'request-id') };
    },

    async chatStream(req, target, signal): Promise<ChatStream> {
      const upstream = messagesCall(req, target, signal, true);
      const res = await http.postJson(upstream);
      const state = createAnthropicStreamState(streamStateInit(req, upstream, Math.floor(now() / 1000)), usesStructuredOutput(req));
      const promptEstimate = estimatePromptTokens(req);
      const chunks = guardStream(translateStream(res, state, promptEstimate), res, upstream);
      return makeChatStream(chunks, () => streamUsage(state, promptEstimate), headerValue(res.headers, 'request-id'));
    },

    async countTokens(req, target, signal): Promise<number> {
      const upstream = anthropicCall(target, {
        path: '/v1/messages/count_tokens',
        body: toCountTokensRequest(req, target.upstreamModel),
        model: req.model,
        signal,
        stream: false,
      });
      return readTokenCount(await http.postJson(upstream), upstream.provider);
    },

    embeddings(_req, target) {
      return Promise.reject(embeddingsUnsupported(providerLabel(target)));
    },
  };
}
