// POST /v1/messages: Anthropic's Messages API in front of every model the gateway serves, so the
// official Anthropic SDKs (and tools built on them) can use the gateway as their base URL. The
// request is translated to the internal OpenAI shape and takes the conversation use case
// (chat/serve-chat.ts: memory, provider keys, fallback, accounting); a claude-* model still
// reaches Anthropic, any other model works too. Results, streams and errors go back in
// Anthropic's shapes.
// POST /v1/messages/count_tokens answers {input_tokens}: Anthropic's own count for a claude model
// (with the user's key, like the message itself), the gateway's estimate for any other. Every
// other path under /messages is a 404 in Anthropic's shape, as all errors there are.
// server.ts lists what runs before both: authentication, the body check, the rate limit.
import type { Logger } from 'pino';
import type { NextFunction, Request, Response } from 'express';
import { anthropicErrors, toAnthropicError } from '../protocols/anthropic/ingress/errors.ts';
import { anthropicEndUser, END_USER_HEADER } from '../chat/end-user.ts';
import { documentBlocks, forTarget, toChatRequest } from '../protocols/anthropic/ingress/request.ts';
import { toAnthropicMessage, type IngressContext } from '../protocols/anthropic/ingress/response.ts';
import { createIngressStreamState, finishStream, translateChunk } from '../protocols/anthropic/ingress/stream.ts';
import type { IngressRequest } from '../protocols/anthropic/ingress/validate.ts';
import { resolveModel } from '../chat/resolve-model.ts';
import { serveConversation, type ChatDeps } from '../chat/serve-chat.ts';
import { targetFor } from '../chat/upstream-call.ts';
import { takeExtensions } from '../chat/validate-request.ts';
import { notFound } from '../errors.ts';
import { errorHandler } from '../middleware/error-handler.ts';
import { requestIdOf } from '../middleware/request-id.ts';
import { setSafeHeaders } from '../middleware/safe-headers.ts';
import { DEFAULT_MAX_TOKENS } from '../protocols/anthropic/upstream/request.ts';
import type { AnthropicStreamEvent } from '../protocols/anthropic/types.ts';
import { estimatePromptTokens } from '../providers/usage.ts';
import type { ChatResult, ProviderTarget } from '../providers/provider-client.ts';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../protocols/openai/types.ts';
import { callerOf, httpResponder, type Dialect } from './http-responder.ts';
import { writeEvent } from './sse.ts';

async function writeAll(res: Response, events: readonly AnthropicStreamEvent[]): Promise<void> {
  for (const event of events) await writeEvent(res, event, event.type);
}

function anthropicDialect(ctx: IngressContext): Dialect<ChatResult, ChatCompletionChunk> {
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

/** Anthropic's SDKs read the request id from this header (error reports, `_request_id`): set on every path under /messages, errors included. */
export function anthropicRequestId(_req: Request, res: Response, next: NextFunction): void {
  setSafeHeaders(res, { 'request-id': requestIdOf(res) });
  next();
}

export function messagesRoute(deps: ChatDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const anthropic = req.body as IngressRequest;
    // Before translation, so an invalid id is reported as the field the client sent.
    const endUser = anthropicEndUser(req.get(END_USER_HEADER), anthropic.metadata);
    const body = toChatRequest(anthropic);
    // Anthropic's request has no room for Perpetual's body fields: only the x-conversation-id and
    // x-perpetual-* headers are read, so an empty body stands in.
    const ext = takeExtensions({}, (name) => req.get(name));
    const ctx: IngressContext = { model: body.model, stopSequences: anthropic.stop_sequences ?? [], requestId: requestIdOf(res) };
    const documents = documentBlocks(anthropic);
    const bodyFor = (upstreamBody: ChatCompletionRequest, target: ProviderTarget): ChatCompletionRequest =>
      forTarget(upstreamBody, target.kind, documents);
    await serveConversation(
      deps,
      callerOf(res),
      { body, ext, endUser, endpoint: 'messages', bodyFor },
      httpResponder(res, anthropicDialect(ctx)),
    );
  };
}

/**
 * POST /v1/messages/count_tokens. Rate limited like every request (a count reaching Anthropic is
 * an upstream call); not written to usage_logs: nothing is generated and nothing is billed.
 * Memories are not recalled into the count.
 */
export function countTokensRoute(deps: ChatDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const anthropic = req.body as Omit<IngressRequest, 'max_tokens'>;
    // count_tokens has no max_tokens; the translation wants one and the count leaves it out.
    const body = toChatRequest({ ...anthropic, max_tokens: DEFAULT_MAX_TOKENS });
    const model = resolveModel(deps.config, body.model);
    const client = deps.providerFor(model.kind);
    if (model.kind === 'anthropic' && client.countTokens) {
      const caller = callerOf(res);
      const target = await targetFor(deps, caller.principal.userId, model);
      const inputTokens = await client.countTokens(body, target, caller.signal);
      setSafeHeaders(res, { 'x-perpetual-token-count': 'upstream' });
      res.json({ input_tokens: inputTokens });
      return;
    }
    // The same refusals as the message itself would get (document blocks for non-Anthropic models).
    const upstreamBody = forTarget(body, model.kind, documentBlocks(anthropic));
    setSafeHeaders(res, { 'x-perpetual-token-count': 'estimate' });
    res.json({ input_tokens: estimatePromptTokens(upstreamBody) });
  };
}

/** Every other path under /messages: a 404 naming the two served. */
export function unknownMessagesPath(req: Request, _res: Response, next: NextFunction): void {
  next(
    notFound(
      `Unknown endpoint: ${req.method} ${req.baseUrl}${req.path}. Under /messages this gateway serves POST /messages and POST /messages/count_tokens.`,
      'unknown_endpoint',
    ),
  );
}

/**
 * Renders every error under /messages in Anthropic's shape, with the status and headers (Retry-After,
 * X-RateLimit-*) the gateway chose. Mount it with `use` after the routes under /messages and after
 * the body parser: an error raised before a route (a malformed or oversized body, authentication,
 * the body check, the rate limit) skips route-level middleware.
 */
export function messagesErrors(log: Logger) {
  return errorHandler(log, anthropicErrors);
}
