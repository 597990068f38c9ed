// Plumbing shared by the streaming providers: error mapping and socket release around a
// translated chunk stream, and the single-use ChatStream object handed to the gateway.
import type { ChatStream, UsageReport } from './provider-client.ts';
import type { ChatCompletionChunk } from './types.ts';
import type { UpstreamBody } from './upstream-http.ts';
import { streamFailure } from './upstream-errors.ts';

export interface StreamGuard {
  body: UpstreamBody;
  signal: AbortSignal;
  provider: string;
  host: string;
}

/**
 * Re-throws failures as GatewayErrors and releases the upstream connection however iteration
 * ends (completion, error, or the consumer breaking off early).
 */
export async function* guardStream<T>(source: AsyncIterable<T>, guard: StreamGuard): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (err) {
    throw streamFailure(err, guard.signal, guard.provider, guard.host);
  } finally {
    if (!guard.body.readableEnded) guard.body.destroy();
  }
}

export function makeChatStream(
  chunks: AsyncGenerator<ChatCompletionChunk>,
  usage: () => UsageReport,
  upstreamRequestId: string | undefined,
): ChatStream {
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
