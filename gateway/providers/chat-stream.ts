// Plumbing shared by the streaming providers: what every stream translation starts from, error
// mapping and socket release around a translated chunk stream, and the single-use ChatStream
// object handed to the gateway.
import type { ChatStream, UsageReport } from './provider-client.ts';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../protocols/openai/types.ts';
import type { UpstreamCall, UpstreamResponse } from './transport/upstream-http.ts';
import { streamFailure } from './transport/upstream-errors.ts';

/** The fields every provider's stream state starts from. */
export interface StreamStateInit {
  /** The client's model name, restored in every chunk. */
  model: string;
  /** Whether the client asked for stream_options.include_usage. */
  includeUsage: boolean;
  provider: string;
  secrets: readonly string[];
  created: number;
}

/** The client's side of the stream (its model, whether it wants usage) and the upstream's (who, which secrets). */
export function streamStateInit(
  req: Pick<ChatCompletionRequest, 'model' | 'stream_options'>,
  upstream: UpstreamCall,
  created: number,
): StreamStateInit {
  return {
    model: req.model,
    includeUsage: req.stream_options?.include_usage === true,
    provider: upstream.provider,
    secrets: upstream.secrets,
    created,
  };
}

/**
 * Re-throws failures as GatewayErrors and releases the upstream connection however iteration
 * ends (completion, error, or the consumer breaking off early).
 */
export async function* guardStream<T>(source: AsyncIterable<T>, res: UpstreamResponse, upstream: UpstreamCall): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (err) {
    throw streamFailure(err, upstream.signal, upstream.provider, new URL(upstream.url).host);
  } finally {
    if (!res.body.readableEnded) res.body.destroy();
  }
}

export function makeChatStream<Chunk = ChatCompletionChunk>(
  chunks: AsyncGenerator<Chunk>,
  usage: () => UsageReport,
  upstreamRequestId: string | undefined,
): ChatStream<Chunk> {
  let iterated = false;
  return {
    upstreamRequestId,
    usage,
    [Symbol.asyncIterator]() {
      if (iterated) throw new Error('A ChatStream can be iterated only once.');
      iterated = true;
      return chunks;
    },
  };
}
