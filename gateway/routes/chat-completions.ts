// POST /v1/chat/completions: authenticated, rate limited, routed, streamed or not, accounted (the
// shared path is serve-completion.ts). On this route everything is in OpenAI's dialect already:
// the result and the chunks pass through as the provider returned them.
import type { Request, Response } from 'express';
import { END_USER_HEADER, openAIEndUser } from '../chat/end-user.ts';
import { writeDone, writeEvent } from '../chat/sse.ts';
import { takeExtensions, validateChatRequest } from '../chat/validate-request.ts';
import type { ChatCompletionRequest } from '../protocols/openai/types.ts';
import { serveCompletion, type ChatRouteDeps, type Dialect } from './serve-completion.ts';

// server.ts builds the chat routes from these deps and imports the type from here.
export type { ChatRouteDeps } from './serve-completion.ts';

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

const chatDialect: Dialect = openAIDialect();

export function chatCompletionsRoute(deps: ChatRouteDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = validateChatRequest(req.body) as ChatCompletionRequest & ReturnType<typeof validateChatRequest>;
    const ext = takeExtensions(body, (name) => req.get(name));
    // `user` and `safety_identifier` stay in the body: providers use them for abuse reports.
    const endUser = openAIEndUser(req.get(END_USER_HEADER), body);
    await serveCompletion(deps, res, { body, ext, endUser, endpoint: 'chat' }, chatDialect);
  };
}
