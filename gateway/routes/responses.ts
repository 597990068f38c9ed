// /v1/responses: OpenAI's Responses API in front of every model the gateway serves. A request takes
// the conversation use case (chat/serve-chat.ts: provider keys, fallback, memory, accounting). It
// goes upstream as the Responses API itself where the upstream speaks it (OpenAI: reasoning items
// and summaries survive), and translated to chat elsewhere, so Anthropic and vLLM models answer it
// too (responses/upstream-calls.ts); either way the client gets Responses objects and events. Responses
// are stored (unless "store": false) per account and end user, for GET, DELETE, input_items and
// previous_response_id. server.ts lists what runs before a create: authentication, the body check
// (validateResponsesRequest), the rate limit; so a limited caller cannot make it read a stored one.
import { Router, type Request, type Response } from 'express';
import { END_USER_HEADER, headerText, openAIEndUser, resolveEndUser } from '../chat/end-user.ts';
import type { StreamWriter } from '../chat/responder.ts';
import { serveOwnCalls, type ChatDeps, type Recalled } from '../chat/serve-chat.ts';
import { takeExtensions } from '../chat/validate-request.ts';
import type { ResponseScope } from '../db/responses.ts';
import { badRequest } from '../errors.ts';
import { principalOf } from '../middleware/authenticate.ts';
import { continuedContext, pageItems, responseNotFound, toStored } from '../responses/conversation.ts';
import { inputItemIds, newResponseId, outputItemIds } from '../responses/ids.ts';
import { toContextItems } from '../responses/input-items.ts';
import { createNativeStreamState, nativeFailEvent, nativeResponse, nativeStreamEvent } from '../responses/native.ts';
import { toChatRequest } from '../responses/request.ts';
import { finishedResponse, incompleteReason, outputItems, type ResponseContext } from '../responses/response.ts';
import {
  closeStream,
  createResponseStreamState,
  failStream,
  streamedResponse,
  terminalEvent,
  translateChunk,
} from '../responses/stream.ts';
import type { ResponseObject, ResponsesRequest, ResponseStreamEvent } from '../responses/types.ts';
import { responsesCalls, type ResponsesAnswer, type ResponsesChunk } from '../responses/upstream-calls.ts';
import type { Store } from '../store.ts';
import { pathParam } from './path-param.ts';
import type { ChatResult, UpstreamResponseEvent } from '../providers/provider-client.ts';
import type { Usage } from '../protocols/openai/types.ts';
import { callerOf, httpResponder, type Dialect } from './http-responder.ts';
import { writeEvent } from './sse.ts';

export interface ResponsesRouteDeps {
  chat: ChatDeps;
  store: Store;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function writeAll(res: Response, events: readonly (ResponseStreamEvent | UpstreamResponseEvent)[]): Promise<void> {
  for (const event of events) await writeEvent(res, event, event.type);
}

/** The answer translated from a chat completion: output items made from its message. */
function fromChat(ctx: ResponseContext, result: ChatResult, usage: Usage): ResponseObject {
  const choice = result.response.choices[0];
  const status = incompleteReason(choice?.finish_reason) ? 'incomplete' : 'completed';
  const output = outputItems(choice?.message, ctx.outputIds, status);
  return finishedResponse(ctx, { output, usage, finish: choice?.finish_reason, completedAt: nowSeconds() });
}

/**
 * Writes a stream either way it came: chat chunks translated into Responses events, or the
 * events of an upstream that speaks the API passed through under the gateway's response id.
 */
function responsesStreamWriter(
  res: Response,
  ctx: ResponseContext,
  save: (response: ResponseObject) => Promise<void>,
): StreamWriter<ResponsesChunk> {
  const chat = createResponseStreamState(ctx);
  const native = createNativeStreamState();
  let passedThrough = false;
  return {
    chunk: async (item) => {
      if (item.via === 'chat') return writeAll(res, translateChunk(chat, item.chunk));
      passedThrough = true;
      const { event, finished } = nativeStreamEvent(ctx, native, item.event);
      if (finished) await save(finished);
      await writeAll(res, [event]);
    },
    end: async (report) => {
      // A passed-through stream ended with its own terminal event, stored as it went by.
      if (passedThrough) return;
      await writeAll(res, closeStream(chat));
      const response = streamedResponse(chat, report.usage, nowSeconds());
      await save(response);
      await writeAll(res, terminalEvent(chat, response));
    },
    fail: (error) => {
      const failure = { code: error.code, message: error.message };
      return writeAll(res, passedThrough ? [nativeFailEvent(ctx, native, failure)] : failStream(chat, failure));
    },
  };
}

/** `save` stores the finished response before the client hears of it, so a continuation never races the write. */
function responsesDialect(
  ctx: ResponseContext,
  save: (response: ResponseObject) => Promise<void>,
): Dialect<ResponsesAnswer, ResponsesChunk> {
  return {
    json: async (answer) => {
      const response =
        answer.via === 'native' ? nativeResponse(ctx, answer.native.response, answer.usage) : fromChat(ctx, answer.chat, answer.usage);
      await save(response);
      return response;
    },
    stream: (res) => responsesStreamWriter(res, ctx, save),
  };
}

/** POST /v1/responses. */
export function createResponseRoute(deps: ResponsesRouteDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const request = req.body as ResponsesRequest;
    const caller = callerOf(res);
    const endUser = openAIEndUser(req.get(END_USER_HEADER), request);
    const scope: ResponseScope = { userId: caller.principal.userId, endUser };
    const id = newResponseId();
    const input = toContextItems(request.input, inputItemIds(id));
    const previousId = request.previous_response_id;
    const previous = previousId === undefined ? null : await deps.store.getResponse(scope, previousId);
    if (previousId !== undefined && !previous) throw responseNotFound(previousId, 'previous_response_id');
    const context = continuedContext(previous, input);
    const body = toChatRequest(request, context);
    // Perpetual's conversation_id and memory options, from the body or the x-perpetual-* headers.
    const ext = takeExtensions(
      { model: body.model, messages: [], conversation_id: request.conversation_id, memory: request.memory },
      (name) => req.get(name),
    );
    const ctx: ResponseContext = { id, createdAt: nowSeconds(), request, outputIds: outputItemIds(id) };
    // The answer is paid for by now: a failed write costs the continuation (a later 404 for this
    // id), never the answer itself or its usage row.
    const save = async (response: ResponseObject): Promise<void> => {
      if (request.store === false) return;
      await deps.store.saveResponse(toStored(response, scope, context)).catch((err: unknown) => {
        deps.chat.log.warn(
          { responseId: id, err: err instanceof Error ? err.message : String(err) },
          'Response answered but not stored; previous_response_id and GET will not find it',
        );
      });
    };
    const calls = (recalled: Recalled, signal: AbortSignal) => responsesCalls(request, context, recalled, signal);
    await serveOwnCalls(
      deps.chat,
      caller,
      { body, ext, endUser, endpoint: 'responses', calls },
      httpResponder(res, responsesDialect(ctx, save)),
    );
  };
}

/** The caller's scope for reading stored responses: the account, and the end user named by header or `end_user`. */
function scopeOf(req: Request, res: Response): ResponseScope {
  const endUser = resolveEndUser([
    { param: END_USER_HEADER, value: headerText(req.get(END_USER_HEADER)) },
    { param: 'end_user', value: req.query.end_user },
  ]);
  return { userId: principalOf(res).userId, endUser };
}

function limitParam(value: unknown): number {
  if (value === undefined || value === '') return 20;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw badRequest('limit: must be an integer from 1 to 100.', 'invalid_value', 'limit');
  return n;
}

function orderParam(value: unknown): 'asc' | 'desc' {
  if (value === undefined || value === '' || value === 'desc') return 'desc';
  if (value === 'asc') return 'asc';
  throw badRequest('order: must be "asc" or "desc".', 'invalid_value', 'order');
}

function afterParam(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest('after: must be an item id.', 'invalid_value', 'after');
  return value;
}

/** Reading and deleting stored responses: GET, DELETE and input_items (the create is createResponseRoute). */
export function responsesRouter(deps: Pick<ResponsesRouteDeps, 'store'>): Router {
  const router = Router();
  router.get('/:id', async (req: Request, res: Response) => {
    const id = pathParam(req, 'id');
    const stored = await deps.store.getResponse(scopeOf(req, res), id);
    if (!stored) throw responseNotFound(id);
    res.json(stored.response);
  });
  router.delete('/:id', async (req: Request, res: Response) => {
    const id = pathParam(req, 'id');
    if (!(await deps.store.deleteResponse(scopeOf(req, res), id))) throw responseNotFound(id);
    res.json({ id, object: 'response', deleted: true });
  });
  router.get('/:id/input_items', async (req: Request, res: Response) => {
    const id = pathParam(req, 'id');
    const options = { limit: limitParam(req.query.limit), order: orderParam(req.query.order), after: afterParam(req.query.after) };
    const stored = await deps.store.getResponse(scopeOf(req, res), id);
    if (!stored) throw responseNotFound(id);
    res.json(pageItems(stored.inputItems as Parameters<typeof pageItems>[0], options));
  });
  return router;
}
