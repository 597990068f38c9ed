// Client for OpenAI and every API that speaks its Chat Completions dialect (vLLM, Groq, Together,
// Mistral, ...). The request passes through as the client sent it, with two changes: `model` is
// the upstream's name, and streams always ask for usage so billing never depends on the client.
import { guardStream, makeChatStream, streamStateInit } from './chat-stream.ts';
import { chunkForClient, createOpenAIStreamState, observeChunk, parseChunk, usageChunk } from './openai-stream.ts';
import type { OpenAIStreamState } from './openai-stream.ts';
import { providerLabel } from './provider-client.ts';
import type { ChatResult, ChatStream, EmbeddingsResult, ProviderClient, ProviderTarget, UsageReport } from './provider-client.ts';
import { parseServerSentEvents } from './sse.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, EmbeddingsRequest, EmbeddingsResponse } from './types.ts';
import { upstreamProtocolError } from './upstream-errors.ts';
import { headerValue, joinUrl } from './upstream-http.ts';
import type { UpstreamCall, UpstreamHttp, UpstreamResponse } from './upstream-http.ts';
import { CHARS_PER_TOKEN, completionText, estimateEmbeddingTokens, estimatePromptTokens, estimateTokens, reconcileUsage } from './usage.ts';

function omit(value: object, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

/** The upstream body for a non-streamed completion. */
export function openAIChatBody(req: ChatCompletionRequest, upstreamModel: string): Record<string, unknown> {
  return { ...omit(req, ['stream', 'stream_options']), model: upstreamModel };
}

/** The upstream body for a streamed completion: usage is always asked for. */
export function openAIStreamBody(req: ChatCompletionRequest, upstreamModel: string): Record<string, unknown> {
  return {
    ...omit(req, ['stream', 'stream_options']),
    model: upstreamModel,
    stream: true,
    stream_options: { ...req.stream_options, include_usage: true },
  };
}

function authHeaders(target: ProviderTarget): Record<string, string> {
  return { ...target.headers, ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) };
}

interface CallSpec {
  target: ProviderTarget;
  path: string;
  body: unknown;
  signal: AbortSignal;
  /** The client's model name. */
  model: string;
}

function call({ target, path, body, signal, model }: CallSpec): UpstreamCall {
  return {
    url: joinUrl(target.baseURL, path),
    headers: authHeaders(target),
    body,
    signal,
    provider: providerLabel(target),
    secrets: target.apiKey ? [target.apiKey] : [],
    model,
  };
}

async function readJson(res: UpstreamResponse, provider: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await res.body.text());
  } catch {
    throw upstreamProtocolError(provider, 'the body is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw upstreamProtocolError(provider, 'the body is not an object');
  return value as Record<string, unknown>;
}

function streamUsage(state: OpenAIStreamState, promptEstimate: number): UsageReport {
  const completionTokens = Math.ceil(state.completionChars / CHARS_PER_TOKEN);
  return reconcileUsage(state.usage, { promptTokens: promptEstimate, completionTokens });
}

async function* translateStream(res: UpstreamResponse, state: OpenAIStreamState, promptEstimate: number): AsyncGenerator<ChatCompletionChunk> {
  for await (const event of parseServerSentEvents(res.body as AsyncIterable<Uint8Array>)) {
    // Read on to the end of the body rather than break: leaving a body early destroys its
    // socket, and the pooled keep-alive connection would be lost for the next request.
    if (state.sawDone) continue;
    if (event.data === '[DONE]') {
      state.sawDone = true;
      continue;
    }
    const chunk = parseChunk(event.data, state);
    observeChunk(state, chunk);
    const out = chunkForClient(chunk, state);
    if (out) yield out;
  }
  if (!state.sawDone && !state.sawFinishReason) throw upstreamProtocolError(state.provider, 'the stream ended before the answer was complete');
  const report = streamUsage(state, promptEstimate);
  // The upstream sent no usage (or an unusable one) but the client asked: give it ours.
  if (state.includeUsage && report.usageEstimated) yield usageChunk(state, report.usage);
}

export function createOpenAICompatibleProvider(http: UpstreamHttp, now: () => number = Date.now): ProviderClient {
  return {
    async chat(req, target, signal): Promise<ChatResult> {
      const provider = providerLabel(target);
      const res = await http.postJson(call({ target, path: '/chat/completions', body: openAIChatBody(req, target.upstreamModel), signal, model: req.model }));
      const body = await readJson(res, provider);
      if (!Array.isArray(body.choices)) throw upstreamProtocolError(provider, 'the completion has no choices');
      const response = { ...body, model: req.model } as ChatCompletion;
      const report = reconcileUsage(response.usage, {
        promptTokens: estimatePromptTokens(req),
        completionTokens: estimateTokens(completionText(response)),
      });
      if (report.usageEstimated) response.usage = report.usage;
      return { response, ...report, upstreamRequestId: headerValue(res.headers, 'x-request-id') };
    },

    async chatStream(req, target, signal): Promise<ChatStream> {
      const upstream = call({ target, path: '/chat/completions', body: openAIStreamBody(req, target.upstreamModel), signal, model: req.model });
      upstream.headers.accept = 'text/event-stream';
      const res = await http.postJson(upstream);
      const state = createOpenAIStreamState(streamStateInit(req, upstream, Math.floor(now() / 1000)));
      const promptEstimate = estimatePromptTokens(req);
      const chunks = guardStream(translateStream(res, state, promptEstimate), res, upstream);
      return makeChatStream(chunks, () => streamUsage(state, promptEstimate), headerValue(res.headers, 'x-request-id'));
    },

    async embeddings(req: EmbeddingsRequest, target, signal): Promise<EmbeddingsResult> {
      const provider = providerLabel(target);
      const res = await http.postJson(call({ target, path: '/embeddings', body: { ...req, model: target.upstreamModel }, signal, model: req.model }));
      const body = await readJson(res, provider);
      if (!Array.isArray(body.data)) throw upstreamProtocolError(provider, 'the embeddings response has no data');
      const response = { ...body, model: req.model } as EmbeddingsResponse;
      const reported = response.usage as Partial<EmbeddingsResponse['usage']> | undefined;
      const report = reconcileUsage(
        reported ? { prompt_tokens: reported.prompt_tokens, completion_tokens: 0 } : undefined,
        { promptTokens: estimateEmbeddingTokens(req), completionTokens: 0 },
      );
      if (report.usageEstimated) response.usage = { prompt_tokens: report.usage.prompt_tokens, total_tokens: report.usage.total_tokens };
      return { response, ...report, upstreamRequestId: headerValue(res.headers, 'x-request-id') };
    },
  };
}

