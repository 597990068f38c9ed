// How a Responses request goes upstream, decided per target (so a fallback model on another
// provider still answers): the Responses API itself where the upstream speaks it (native.ts),
// the chat translation everywhere else (request.ts). What comes back says which way it went, for
// the route's dialect to write.
import type { Recalled, UpstreamCalls } from '../chat/serve-chat.ts';
import type { ChatCompletionChunk } from '../protocols/openai/types.ts';
import { makeChatStream } from '../providers/chat-stream.ts';
import type {
  ChatResult,
  ChatStream,
  ProviderClient,
  ProviderTarget,
  ResponsesResult,
  UpstreamResponseEvent,
  UsageReport,
} from '../providers/provider-client.ts';
import { answerText, nativeBody, speaksResponses } from './native.ts';
import { forTarget } from './request.ts';
import type { ContextItem, ResponsesRequest } from './types.ts';

export type ResponsesAnswer = UsageReport & ({ via: 'chat'; chat: ChatResult } | { via: 'native'; native: ResponsesResult });

export type ResponsesChunk = { via: 'chat'; chunk: ChatCompletionChunk } | { via: 'native'; event: UpstreamResponseEvent };

function tagged<From, To>(stream: ChatStream<From>, tag: (item: From) => To): ChatStream<To> {
  async function* items(): AsyncGenerator<To> {
    for await (const item of stream) yield tag(item);
  }
  return makeChatStream(items(), () => stream.usage(), stream.upstreamRequestId);
}

function native(
  client: ProviderClient,
  target: ProviderTarget,
): client is ProviderClient & Required<Pick<ProviderClient, 'responses' | 'responsesStream'>> {
  return speaksResponses(target.kind) && client.responses !== undefined && client.responsesStream !== undefined;
}

export function responsesCalls(
  request: ResponsesRequest,
  context: readonly ContextItem[],
  recalled: Recalled,
  signal: AbortSignal,
): UpstreamCalls<ResponsesAnswer, ResponsesChunk> {
  const effort = request.reasoning?.effort ?? undefined;
  const upstreamBody = () => nativeBody(request, context, recalled.recall?.block);
  return {
    json: async (client, target): Promise<ResponsesAnswer> => {
      if (native(client, target)) {
        const result = await client.responses(upstreamBody(), target, signal);
        return { via: 'native', native: result, usage: result.usage, usageEstimated: result.usageEstimated };
      }
      const result = await client.chat(forTarget(recalled.body, target.kind, effort), target, signal);
      return { via: 'chat', chat: result, usage: result.usage, usageEstimated: result.usageEstimated };
    },
    stream: async (client, target): Promise<ChatStream<ResponsesChunk>> => {
      if (native(client, target))
        return tagged(await client.responsesStream(upstreamBody(), target, signal), (event): ResponsesChunk => ({ via: 'native', event }));
      return tagged(
        await client.chatStream(forTarget(recalled.body, target.kind, effort), target, signal),
        (chunk): ResponsesChunk => ({ via: 'chat', chunk }),
      );
    },
    resultText: (answer) =>
      answer.via === 'native' ? answerText(answer.native.response.output) : (answer.chat.response.choices[0]?.message.content ?? undefined),
    chunkText: (item) => {
      if (item.via === 'chat') return item.chunk.choices[0]?.delta.content ?? '';
      return item.event.type === 'response.output_text.delta' && typeof item.event.delta === 'string' ? item.event.delta : '';
    },
  };
}
