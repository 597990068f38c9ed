// POST /v1/embeddings: the same routing, keys, fallback and accounting as chat (chat/serve-chat.ts
// serveUpstream), for vectors: never streamed, no memory. server.ts lists what runs before:
// authentication, the body check (validateEmbeddingsRequest), the rate limit.
import type { Request, Response } from 'express';
import { NO_EXTENSIONS, serveUpstream, type ChatDeps, type UpstreamCalls } from '../chat/serve-chat.ts';
import { bodyCheck } from '../protocols/body-check.ts';
import { EmbeddingsRequest as EmbeddingsRequestSchema } from '../protocols/openai/request-schemas.ts';
import type { EmbeddingsResult } from '../providers/provider-client.ts';
import type { EmbeddingsRequest } from '../protocols/openai/types.ts';
import { openAIDialect } from './chat-completions.ts';
import { callerOf, httpResponder } from './http-responder.ts';

/** The body against its schema (protocols/openai/request-schemas.ts). */
export const validateEmbeddingsRequest = bodyCheck<EmbeddingsRequest>(EmbeddingsRequestSchema, {
  path: 'brackets',
  model: (problem) =>
    problem.code === 'missing_model' ? '"model" is required: the name of the embedding model.' : `"model" ${problem.reason}`,
});

/** Vectors are nothing to remember, and never stream. */
function embeddingCalls(body: EmbeddingsRequest, signal: AbortSignal): UpstreamCalls<EmbeddingsResult, never> {
  return {
    json: (client, target) => client.embeddings(body, target, signal),
    resultText: () => undefined,
    chunkText: () => '',
  };
}

const embeddingsDialect = openAIDialect<EmbeddingsResult, never>();

export function embeddingsRoute(deps: ChatDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = req.body as EmbeddingsRequest;
    const request = {
      model: body.model,
      stream: false,
      ext: NO_EXTENSIONS,
      endpoint: 'embeddings' as const,
      calls: (signal: AbortSignal) => embeddingCalls(body, signal),
    };
    await serveUpstream(deps, callerOf(res), request, httpResponder(res, embeddingsDialect));
  };
}
