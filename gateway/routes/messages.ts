// POST /v1/messages: Anthropic's Messages API in front of every model the gateway serves, so the
// official Anthropic SDKs (and tools built on them) can use the gateway as their base URL. The
// request is translated to the internal OpenAI shape and takes the chat path (serve-completion.ts:
// limits, provider keys, fallback, accounting); a claude-* model still reaches Anthropic, any other
// model works too. Results, streams and errors go back in Anthropic's shapes.
import type { Logger } from 'pino';
import type { Request, Response } from 'express';
import { anthropicErrors, toAnthropicError } from '../chat/anthropic-ingress/errors.ts';
import { anthropicEndUser, END_USER_HEADER } from '../chat/end-user.ts';
import { forTarget, toChatRequest } from '../chat/anthropic-ingress/request.ts';
import { toAnthropicMessage, type IngressContext } from '../chat/anthropic-ingress/response.ts';
import { createIngressStreamState, finishStream, translateChunk } from '../chat/anthropic-ingress/stream.ts';
import { validateMessagesRequest } from '../chat/anthropic-ingress/validate.ts';
import { writeEvent } from '../chat/sse.ts';
import { takeExtensions } from '../chat/validate-request.ts';
import { errorHandler } from '../middleware/error-handler.ts';
import { requestIdOf } from '../middleware/request-id.ts';
import { setSafeHeaders } from '../middleware/safe-headers.ts';
import type { AnthropicStreamEvent } from '../providers/anthropic-types.ts';
import { serveCompletion, type ChatRouteDeps, type Dialect } from './serve-completion.ts';

async function writeAll(res: Response, events: readonly AnthropicStreamEvent[]): Promise<void> {
  for (const event of events) await writeEvent(res, event, event.type);
}

function anthropicDialect(ctx: IngressContext): Dialect {
  return {
    json: (result) => toAnthropicMessage(result.response, result.usage, ctx),
    stream: (res) => {
      const state = createIngressStreamState(ctx);
      return {
        chunk: (chunk) => writeAll(res, translateChunk(state, chunk)),
        end: (report) => writeAll(res, finishStream(state, report.usage)),
        fail: (error) => writeEvent(res, toAnthropicError(error, ctx.requestId), 'error'),
      };
    },
  };
}

export function messagesRoute(deps: ChatRouteDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const requestId = requestIdOf(res);
    // Anthropic's SDKs read the request id from this header (error reports, `_request_id`).
    setSafeHeaders(res, { 'request-id': requestId });
    const anthropic = validateMessagesRequest(req.body);
    // Before translation, so an invalid id is reported as the field the client sent.
    const endUser = anthropicEndUser(req.get(END_USER_HEADER), anthropic.metadata);
    const body = toChatRequest(anthropic);
    // Anthropic's request has no room for Perpetual's body fields: only the x-conversation-id and
    // x-perpetual-* headers are read, so an empty body stands in.
    const ext = takeExtensions({ model: body.model, messages: [] }, (name) => req.get(name));
    const ctx: IngressContext = { model: body.model, stopSequences: anthropic.stop_sequences ?? [], requestId };
    await serveCompletion(deps, res, { body, ext, endUser, endpoint: 'messages', bodyFor: (upstreamBody, target) => forTarget(upstreamBody, target.kind) }, anthropicDialect(ctx));
  };
}

/**
 * Renders every error under /messages in Anthropic's shape, with the status and headers (Retry-After,
 * X-RateLimit-*) the gateway chose. Mount it with `use` on the router after the body parser: an
 * error raised before the route (a malformed or oversized body) skips route-level middleware.
 */
export function messagesErrors(log: Logger) {
  return errorHandler(log, anthropicErrors);
}
