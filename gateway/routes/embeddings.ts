// POST /v1/embeddings: the same routing, keys, limits and accounting as chat, for vectors.
import type { Request, Response } from 'express';
import { checkModelName } from '../chat/model-name.ts';
import { callWithFallback } from '../chat/upstream-call.ts';
import { badRequest } from '../errors.ts';
import { toGatewayError } from '../middleware/error-handler.ts';
import { principalOf } from '../middleware/authenticate.ts';
import { setSafeHeaders } from '../middleware/safe-headers.ts';
import { requestIdOf, serverRequestIdOf, startedAtOf } from '../middleware/request-id.ts';
import type { EmbeddingsRequest } from '../protocols/openai/types.ts';
import { abortWhenClientLeaves, type ChatRouteDeps } from './serve-completion.ts';

const MAX_INPUTS = 2048;

function validateEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The request body must be a JSON object.', 'invalid_body');
  const { model, input } = body as Record<string, unknown>;
  checkModelName(model, (problem) => (problem.code === 'missing_model' ? '"model" is required: the name of the embedding model.' : `"model" ${problem.reason}`));
  const validInput = typeof input === 'string' || (Array.isArray(input) && input.length > 0 && input.length <= MAX_INPUTS);
  if (!validInput || input === '') throw badRequest(`"input" must be a non-empty string or an array of 1 to ${MAX_INPUTS} inputs.`, 'invalid_input', 'input');
  return body as EmbeddingsRequest;
}

export function embeddingsRoute(deps: ChatRouteDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const principal = principalOf(res);
    const body = validateEmbeddingsRequest(req.body);
    setSafeHeaders(res, await deps.rateLimit(principal));
    const requestId = requestIdOf(res);
    const { signal } = abortWhenClientLeaves(res);
    // Embeddings share the chat request's shape for routing; only `model` is read. The signal lets
    // a request held for a model replica leave the queue the moment its client does.
    const routing = { userId: principal.userId, body: { model: body.model, messages: [] }, signal };
    const served = { startedAt: startedAtOf(res), principal, requestId, serverRequestId: serverRequestIdOf(res), ext: { conversationId: undefined, memory: { enabled: false, topK: undefined, conversationOnly: false } }, body: routing.body, endpoint: 'embeddings' as const };
    try {
      const attempt = await callWithFallback(deps, routing, (client, target) => client.embeddings(body, target, signal));
      res.json(attempt.result.response);
      deps.accounting.completed({ ...served, attempt, status: 200, report: attempt.result, upstreamMs: performance.now() - attempt.upstreamStartedAt });
    } catch (err) {
      deps.accounting.failed({ ...served, status: toGatewayError(err, requestId).status });
      throw err;
    }
  };
}
