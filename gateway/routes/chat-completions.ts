// POST /v1/chat/completions: the conversation use case (chat/serve-chat.ts) in OpenAI's dialect,
// where everything already is: the result and the chunks pass through as the provider returned
// them. server.ts lists what runs before: authentication, the body check (validateChatRequest)
// and the rate limit.
import type { Request, Response } from 'express';
import { END_USER_HEADER, openAIEndUser } from '../chat/end-user.ts';
import { serveConversation, type ChatDeps } from '../chat/serve-chat.ts';
import { takeExtensions, type ChatRequestBody } from '../chat/validate-request.ts';
import type { ChatResult } from '../providers/provider-client.ts';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../protocols/openai/types.ts';
import { callerOf, httpResponder, type Dialect } from './http-responder.ts';
import { writeDone, writeEvent } from './sse.ts';

/** OpenAI's wire: the provider's response and chunks as they are, errors as OpenAI's error object (also /v1/completions). */
export function openAIDialect<Result extends { response: unknown }, Chunk>(): Dialect<Result, Chunk> {
  return {
    json: (result) => result.response,
    stream: (res) => ({
      chunk: (chunk) => writeEvent(res, chunk),
      end: () => writeDone(res),
      fail: (error) => writeEvent(res, error.toJSON()),
    }),
  };
}

const chatDialect = openAIDialect<ChatResult, ChatCompletionChunk>();

export function chatCompletionsRoute(deps: ChatDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = req.body as ChatCompletionRequest & ChatRequestBody;
    const ext = takeExtensions(body, (name) => req.get(name));
    // `user` and `safety_identifier` stay in the body: providers use them for abuse reports.
    const endUser = openAIEndUser(req.get(END_USER_HEADER), body);
    await serveConversation(deps, callerOf(res), { body, ext, endUser, endpoint: 'chat' }, httpResponder(res, chatDialect));
  };
}
