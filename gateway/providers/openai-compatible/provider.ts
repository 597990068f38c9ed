// providers/openai-compatible/: the ProviderClient for OpenAI-compatible upstreams; the wire types
// and the stream reading it uses are in protocols/openai/.
//
// Client for OpenAI and every API that speaks its Chat Completions dialect (vLLM, Groq, Together,
// Mistral, ...), and its legacy Completions API where the upstream has one (OpenAI, vLLM). The
// request passes through as the client sent it, with two changes: `model` is the upstream's name,
// and streams always ask for usage so billing never depends on the client.
import { guardStream, makeChatStream, streamStateInit } from '../chat-stream.ts';
import { chunkForClient, createOpenAIStreamState, observeChunk, parseChunk, usageChunk } from '../../protocols/openai/stream.ts';
import type { OpenAIStreamState } from '../../protocols/openai/stream.ts';
import { providerLabel } from '../provider-client.ts';
import type {
  ChatResult,
  ChatStream,
  CompletionResult,
  CompletionStream,
  EmbeddingsResult,
  ProviderClient,
  UsageReport,
} from '../provider-client.ts';
import { parseServerSentEvents } from '../transport/sse.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  Completion,
  CompletionRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
  Usage,
} from '../../protocols/openai/types.ts';
import { upstreamProtocolError } from '../transport/upstream-errors.ts';
import { call, readJson, type CallSpec } from './calls.ts';
import { openResponseStream, postResponse } from './responses.ts';
import { headerValue } from '../transport/upstream-http.ts';
import type { UpstreamHttp, UpstreamResponse } from '../transport/upstream-http.ts';
import {
  CHARS_PER_TOKEN,
  completionText,
  estimateEmbeddingTokens,
  estimatePromptTokens,
  estimateTokens,
  reconcileUsage,
  type UsageEstimate,
} from '../usage.ts';

function omit(value: object, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

/** The upstream body for a non-streamed completion. */
export function openAIChatBody(req: ChatCompletionRequest | CompletionRequest, upstreamModel: string): Record<string, unknown> {
  return { ...omit(req, ['stream', 'stream_options']), model: upstreamModel };
}

/** The upstream body for a streamed completion: usage is always asked for. */
export function openAIStreamBody(req: ChatCompletionRequest | CompletionRequest, upstreamModel: string): Record<string, unknown> {
  return {
    ...omit(req, ['stream', 'stream_options']),
    model: upstreamModel,
    stream: true,
    stream_options: { ...req.stream_options, include_usage: true },
  };
}

function streamUsage(state: OpenAIStreamState, promptEstimate: number): UsageReport {
  const completionTokens = Math.ceil(state.completionChars / CHARS_PER_TOKEN);
  return reconcileUsage(state.usage, { promptTokens: promptEstimate, completionTokens });
}

/** What differs between a chat stream and a legacy completion stream, for the shared reading below. */
interface StreamKind {
  /** The `object` of each chunk, and of the usage chunk the gateway adds. */
  object: 'chat.completion.chunk' | 'text_completion';
  /** Generated characters observeChunk does not count (it reads chat deltas), for the usage estimate. */
  uncountedChars: (chunk: ChatCompletionChunk) => number;
}

const CHAT_STREAM: StreamKind = { object: 'chat.completion.chunk', uncountedChars: () => 0 };
// A legacy chunk is a chat chunk with `text` in its choices instead of `delta`: the reading,
// model restoring and usage handling are the same.
const COMPLETION_STREAM: StreamKind = {
  object: 'text_completion',
  uncountedChars: (chunk) => chunk.choices.reduce((sum, choice) => sum + (typeof choice.text === 'string' ? choice.text.length : 0), 0),
};

async function* translateStream(
  res: UpstreamResponse,
  state: OpenAIStreamState,
  promptEstimate: number,
  kind: StreamKind,
): AsyncGenerator<ChatCompletionChunk> {
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
    state.completionChars += kind.uncountedChars(chunk);
    const out = chunkForClient(chunk, state);
    if (out) yield out;
  }
  if (!state.sawDone && !state.sawFinishReason)
    throw upstreamProtocolError(state.provider, 'the stream ended before the answer was complete');
  const report = streamUsage(state, promptEstimate);
  // The upstream sent no usage (or an unusable one) but the client asked: give it ours.
  if (state.includeUsage && report.usageEstimated) yield { ...usageChunk(state, report.usage), object: kind.object } as ChatCompletionChunk;
}

interface Answered<R> extends UsageReport {
  response: R;
  upstreamRequestId: string | undefined;
}

/** A non-streamed completion (chat or legacy): the client's model name restored, usage reconciled with the estimate. */
async function postCompletion<R extends { usage?: Usage | null }>(
  http: UpstreamHttp,
  spec: CallSpec,
  estimate: (response: R) => UsageEstimate,
): Promise<Answered<R>> {
  const provider = providerLabel(spec.target);
  const res = await http.postJson(call(spec));
  const body = await readJson(res, provider);
  if (!Array.isArray(body.choices)) throw upstreamProtocolError(provider, 'the completion has no choices');
  const response = { ...body, model: spec.model } as unknown as R;
  const report = reconcileUsage(response.usage, estimate(response));
  if (report.usageEstimated) response.usage = report.usage;
  return { response, ...report, upstreamRequestId: headerValue(res.headers, 'x-request-id') };
}

/** Tokens in a legacy prompt: text is estimated, token ids are counted (as for embedding input). */
function estimateLegacyPromptTokens(req: CompletionRequest): number {
  return estimateEmbeddingTokens({ input: req.prompt });
}

/** This client has the legacy Completions API and the Responses API wherever its upstream does. */
export type OpenAICompatibleClient = ProviderClient &
  Required<Pick<ProviderClient, 'completions' | 'completionsStream' | 'responses' | 'responsesStream'>>;

export function createOpenAICompatibleProvider(http: UpstreamHttp, now: () => number = Date.now): OpenAICompatibleClient {
  /** A streamed completion (chat or legacy); what it yields is shaped by `kind`. */
  async function openStream(
    spec: CallSpec,
    req: ChatCompletionRequest | CompletionRequest,
    promptEstimate: number,
    kind: StreamKind,
  ): Promise<ChatStream> {
    const upstream = call(spec);
    upstream.headers.accept = 'text/event-stream';
    const res = await http.postJson(upstream);
    const state = createOpenAIStreamState(streamStateInit(req, upstream, Math.floor(now() / 1000)));
    const chunks = guardStream(translateStream(res, state, promptEstimate, kind), res, upstream);
    return makeChatStream(chunks, () => streamUsage(state, promptEstimate), headerValue(res.headers, 'x-request-id'));
  }

  return {
    chat(req, target, signal): Promise<ChatResult> {
      const spec = { target, path: '/chat/completions', body: openAIChatBody(req, target.upstreamModel), signal, model: req.model };
      return postCompletion<ChatCompletion>(http, spec, (response) => ({
        promptTokens: estimatePromptTokens(req),
        completionTokens: estimateTokens(completionText(response)),
      }));
    },

    chatStream(req, target, signal): Promise<ChatStream> {
      const spec = { target, path: '/chat/completions', body: openAIStreamBody(req, target.upstreamModel), signal, model: req.model };
      return openStream(spec, req, estimatePromptTokens(req), CHAT_STREAM);
    },

    completions(req, target, signal): Promise<CompletionResult> {
      const spec = { target, path: '/completions', body: openAIChatBody(req, target.upstreamModel), signal, model: req.model };
      const generated = (response: Completion): string => response.choices.map((choice) => choice.text).join('');
      return postCompletion<Completion>(http, spec, (response) => ({
        promptTokens: estimateLegacyPromptTokens(req),
        completionTokens: estimateTokens(generated(response)),
      }));
    },

    async completionsStream(req, target, signal): Promise<CompletionStream> {
      const spec = { target, path: '/completions', body: openAIStreamBody(req, target.upstreamModel), signal, model: req.model };
      const stream = await openStream(spec, req, estimateLegacyPromptTokens(req), COMPLETION_STREAM);
      // COMPLETION_STREAM keeps the upstream's legacy chunks as they are (bar the model name).
      return stream as unknown as CompletionStream;
    },

    responses: (body, target, signal) => postResponse(http, body, target, signal),
    responsesStream: (body, target, signal) => openResponseStream(http, body, target, signal),

    async embeddings(req: EmbeddingsRequest, target, signal): Promise<EmbeddingsResult> {
      const provider = providerLabel(target);
      const res = await http.postJson(
        call({ target, path: '/embeddings', body: { ...req, model: target.upstreamModel }, signal, model: req.model }),
      );
      const body = await readJson(res, provider);
      if (!Array.isArray(body.data)) throw upstreamProtocolError(provider, 'the embeddings response has no data');
      const response = { ...body, model: req.model } as EmbeddingsResponse;
      const reported = response.usage as Partial<EmbeddingsResponse['usage']> | undefined;
      const report = reconcileUsage(reported ? { prompt_tokens: reported.prompt_tokens, completion_tokens: 0 } : undefined, {
        promptTokens: estimateEmbeddingTokens(req),
        completionTokens: 0,
      });
      if (report.usageEstimated) response.usage = { prompt_tokens: report.usage.prompt_tokens, total_tokens: report.usage.total_tokens };
      return { response, ...report, upstreamRequestId: headerValue(res.headers, 'x-request-id') };
    },
  };
}
