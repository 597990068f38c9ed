// Helpers for the provider tests (gateway/providers/*.test.ts): drain a chat stream, and turn a
// call that must fail into the GatewayError it failed with.
import type { GatewayError } from '../../gateway/errors.ts';
import type { ChatStream } from '../../gateway/providers/provider-client.ts';
import type { ChatCompletionChunk } from '../../gateway/protocols/openai/types.ts';

export async function collect<Chunk = ChatCompletionChunk>(stream: ChatStream<Chunk>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** The error `promise` rejects with; a promise that resolves fails the test instead. */
export function caught(promise: Promise<unknown>): Promise<GatewayError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err as GatewayError,
  );
}
