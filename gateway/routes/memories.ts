// The caller's memories: list, search, delete one, delete a conversation, delete all. Every call
// acts in one scope: the caller's account and, within it, the end user named by the
// x-perpetual-end-user header or the `end_user` parameter (chat/end-user.ts), or the account's own
// memories when none is named, exactly as chats store and recall them. Another account's or
// another end user's memory id is simply "not found". Only `?all=true&include_end_users=true`
// crosses end users, to empty the whole account. Deleting one turn also deletes the facts extracted
// from it (memory-store.ts deleteById). A vector store outage is a 503 that says so,
// never a 500.
import { Router, type NextFunction, type Request, type Response } from 'express';
import { END_USER_HEADER, memoriesEndUser } from '../chat/end-user.ts';
import { GatewayError, badRequest, notFound, unavailable } from '../errors.ts';
import type { Memory } from '../memory/memory-wiring.ts';
import type { MemoryRecord, MemoryScope } from '../memory/store/memory-store.ts';
import { MemoryStoreError } from '../memory/store/memory-store-error.ts';
import { principalOf } from '../middleware/authenticate.ts';
import { pathParam } from './path-param.ts';
import { bodyCheck } from '../protocols/body-check.ts';
import { MemorySearchRequest } from '../protocols/perpetual/request-schemas.ts';

const checkSearch = bodyCheck<{ query: string; top_k?: unknown; conversation_id?: string; end_user?: unknown }>(MemorySearchRequest, {
  path: 'dots',
});

/**
 * One memory as the API shows it. `kind` says whether it is a raw turn or a fact an extractor drew
 * from turns (memory/facts/); `subject` and `superseded_by` are a fact's (null for a turn, and for
 * a fact without a subject or still current), so a caller can tell history from what recall uses.
 */
function memoryJson(record: MemoryRecord & { score?: number }): Record<string, unknown> {
  const p = record.payload;
  return {
    id: record.id,
    object: 'memory',
    kind: p.kind ?? 'turn',
    role: p.role,
    text: p.text,
    conversation_id: p.conversation_id,
    end_user: p.end_user ?? null,
    created_at: new Date(p.created_at).toISOString(),
    request_id: p.request_id,
    subject: p.subject ?? null,
    superseded_by: p.superseded_by ?? null,
    ...(record.score === undefined ? {} : { score: record.score }),
  };
}

function optionalString(value: unknown, name: string, max = 256): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max)
    throw badRequest(`"${name}" must be a string of at most ${max} characters.`, 'invalid_value', name);
  return value;
}

function integerIn(value: unknown, name: string, range: { min: number; max: number; fallback: number }): number {
  if (value === undefined || value === '') return range.fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < range.min || n > range.max)
    throw badRequest(`"${name}" must be an integer from ${range.min} to ${range.max}.`, 'invalid_value', name);
  return n;
}

/** The account from the API key, the end user from the header or `end_user` (chat/end-user.ts). */
function requestScope(req: Request, res: Response, bodyEndUser?: unknown): MemoryScope {
  return { userId: principalOf(res).userId, endUser: memoriesEndUser(req.get(END_USER_HEADER), req.query.end_user, bodyEndUser) };
}

/** Vector store failures become 503s; bad input the store noticed becomes a 400. */
function storeErrors(err: unknown, _req: Request, _res: Response, next: NextFunction): void {
  if (!(err instanceof MemoryStoreError)) {
    next(err);
    return;
  }
  if (err.code === 'invalid_argument' || err.code === 'bad_request')
    next(badRequest(`Invalid memory request: ${err.message}`, 'invalid_memory_request'));
  else
    next(
      unavailable(
        'Memory is unavailable right now: the vector store did not answer. Chats still work; try this again shortly.',
        'memory_unavailable',
        { 'retry-after': '5' },
      ),
    );
}

export function memoriesRouter(memory: Memory): Router {
  const router = Router();
  const { store } = memory;
  router.get('/', async (req: Request, res: Response) => {
    const scope = requestScope(req, res);
    const conversationId = optionalString(req.query.conversation_id, 'conversation_id');
    const page = await store.scroll(scope, {
      limit: integerIn(req.query.limit, 'limit', { min: 1, max: 200, fallback: 50 }),
      offset: optionalString(req.query.cursor, 'cursor') ?? null,
      ...(conversationId ? { conversationId } : {}),
    });
    res.json({ object: 'list', data: page.memories.map(memoryJson), next_cursor: page.nextOffset });
  });
  router.post('/search', async (req: Request, res: Response) => {
    const body = checkSearch(req.body ?? {});
    const scope = requestScope(req, res, body.end_user);
    if (body.query.trim() === '') throw badRequest('"query" is required: the text to search your memories for.', 'missing_query', 'query');
    const conversationId = optionalString(body.conversation_id, 'conversation_id');
    const limit = integerIn(body.top_k, 'top_k', { min: 1, max: 50, fallback: memory.service.settings.topK });
    const [vector] = await (await memory.embedderFor(scope.userId)).embed([body.query], {});
    // Hybrid like recall in chat: the query's words for the lexical channel beside its vector.
    const hits = vector
      ? await store.search(scope, vector, { limit, text: body.query, ...(conversationId ? { conversationId } : {}) })
      : [];
    res.json({ object: 'list', data: hits.map(memoryJson) });
  });
  router.delete('/:id', async (req: Request, res: Response) => {
    const id = pathParam(req, 'id');
    const scope = requestScope(req, res);
    if (!(await store.deleteById(scope, id)))
      throw notFound(`No memory "${id}" among ${scope.endUser === undefined ? 'yours' : "this end user's"}.`, 'memory_not_found', 'id');
    res.json({ id, object: 'memory', deleted: true });
  });
  router.delete('/', async (req: Request, res: Response) => {
    const scope = requestScope(req, res);
    const endUser = scope.endUser ?? null;
    const conversationId = optionalString(req.query.conversation_id, 'conversation_id');
    if (conversationId) {
      res.json({
        object: 'memory.deletion',
        conversation_id: conversationId,
        end_user: endUser,
        deleted: await store.deleteConversation(scope, conversationId),
      });
      return;
    }
    if (req.query.all !== 'true')
      throw new GatewayError(
        "Say what to delete: ?conversation_id=<id> for one conversation, or ?all=true for every memory of this scope (add an end user for one end user's, or include_end_users=true for the whole account).",
        { status: 400, type: 'invalid_request_error', code: 'missing_scope' },
      );
    if (req.query.include_end_users === 'true') {
      if (scope.endUser !== undefined)
        throw badRequest(
          'include_end_users=true empties the whole account; it cannot be combined with an end user.',
          'invalid_value',
          'include_end_users',
        );
      res.json({ object: 'memory.deletion', all: true, include_end_users: true, deleted: await store.deleteUser(scope.userId) });
      return;
    }
    res.json({ object: 'memory.deletion', all: true, end_user: endUser, deleted: await store.deleteScope(scope) });
  });
  router.use(storeErrors);
  return router;
}
