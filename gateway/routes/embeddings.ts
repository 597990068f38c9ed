// POST /v1/embeddings: the same routing, keys, fallback and accounting as chat (chat/serve-chat.ts
// serveUpstream), for vectors: never streamed, no memory. server.ts lists what runs before:
// authentication, the body check (validateEmbeddingsRequest), the rate limit.
import type { Request, Response } from 'express';
import { checkModelName } from '../chat/model-name.ts';
import { NO_EXTENSIONS, serveUpstream, type ChatDeps, type UpstreamCalls } from '../chat/serve-chat.ts';
import { badRequest } from '../errors.ts';
import type { EmbeddingsResult } from '../providers/provider-client.ts';
import type { EmbeddingsRequest } from '../protocols/openai/types.ts';
import { openAIDialect } from './chat-completions.ts';
import { callerOf, httpResponder } from './http-responder.ts';

const MAX_INPUTS = 2048;

export function validateEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('The request body must be a JSON object.', 'invalid_body');
  const { model, input } = body as Record<string, unknown>;
  checkModelName(model, (problem) =>
    problem.code === 'missing_model' ? '"model" is required: the name of the embedding model.' : `"model" ${problem.reason}`,
  );
  const validInput = typeof input === 'string' || (Array.isArray(input) && input.length > 0 && input.length <= MAX_INPUTS);
  if (!validInput || input === '')
    throw badRequest(`"input" must be a non-empty string or an array of 1 to ${MAX_INPUTS} inputs.`, 'invalid_input', 'input');
  return body as EmbeddingsRequest;
}

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
