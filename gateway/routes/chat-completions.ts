// POST /v1/chat/completions: authenticated, rate limited, routed, streamed or not, accounted.
// The response starts only when the upstream has answered, so a failure before the first byte is
// still a proper HTTP error (and may go to the fallback model); a client that disconnects aborts
// the upstream call at once.
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { callWithFallback, type Attempt, type UpstreamDeps } from '../chat/upstream-call.ts';
import { keepAlive, startEventStream, writeDone, writeEvent } from '../chat/sse.ts';
import { takeExtensions, validateChatRequest, type ChatExtensions } from '../chat/validate-request.ts';
import { toGatewayError } from '../middleware/error-handler.ts';
import { principalOf, type Principal } from '../middleware/authenticate.ts';
import { requestIdOf, startedAtOf } from '../middleware/request-id.ts';
import type { ChatResult, ChatStream, UsageReport } from '../providers/provider-client.ts';
import type { ChatCompletionRequest } from '../providers/types.ts';
import type { Accounting } from '../chat/accounting.ts';

export interface ChatRouteDeps extends UpstreamDeps {
  /** Throws the 429 when over a limit; returns the X-RateLimit-* headers otherwise. */
  rateLimit: (principal: Principal) => Promise<Record<string, string>>;
  accounting: Accounting;
  log: Logger;
  keepAliveMs?: number;
}

/** Aborts when the client goes away before the response is complete. */
export function abortWhenClientLeaves(res: Response): AbortController {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller;
}

/** Time the gateway spent before calling upstream (auth, limits, routing, memory). */
function overheadMs(res: Response, upstreamStartedAt: number): string {
  return (upstreamStartedAt - startedAtOf(res)).toFixed(2);
}

interface Served {
  startedAt: number;
  principal: Principal;
  requestId: string;
  ext: ChatExtensions;
  body: ChatCompletionRequest;
}

export function chatCompletionsRoute(deps: ChatRouteDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const principal = principalOf(res);
    const body = validateChatRequest(req.body) as ChatCompletionRequest & ReturnType<typeof validateChatRequest>;
    const ext = takeExtensions(body, (name) => req.get(name));
    const rateHeaders = await deps.rateLimit(principal);
    for (const [name, value] of Object.entries(rateHeaders)) res.setHeader(name, value);
    const served: Served = { startedAt: startedAtOf(res), principal, requestId: requestIdOf(res), ext, body };
    const abort = abortWhenClientLeaves(res);
    if (body.stream === true) await serveStream(deps, served, res, abort.signal);
    else await serveJson(deps, served, res, abort.signal);
  };
}

async function serveJson(deps: ChatRouteDeps, served: Served, res: Response, signal: AbortSignal): Promise<void> {
  let attempt: Attempt<ChatResult> | undefined;
  try {
    attempt = await callWithFallback(deps, { userId: served.principal.userId, body: served.body }, (client, target) => client.chat(served.body, target, signal));
    const upstreamMs = performance.now() - attempt.upstreamStartedAt;
    res.setHeader('x-perpetual-overhead-ms', overheadMs(res, attempt.upstreamStartedAt));
    res.setHeader('x-perpetual-model', attempt.model.name);
    res.json(attempt.result.response);
    deps.accounting.completed({ ...served, attempt, status: 200, report: attempt.result, upstreamMs });
  } catch (err) {
    deps.accounting.failed({ ...served, ...(attempt ? { attempt } : {}), status: toGatewayError(err, served.requestId).status });
    throw err;
  }
}

async function serveStream(deps: ChatRouteDeps, served: Served, res: Response, signal: AbortSignal): Promise<void> {
  let attempt: Attempt<ChatStream> | undefined;
  try {
    attempt = await callWithFallback(deps, { userId: served.principal.userId, body: served.body }, (client, target) => client.chatStream(served.body, target, signal));
  } catch (err) {
    deps.accounting.failed({ ...served, status: toGatewayError(err, served.requestId).status });
    throw err;
  }
  startEventStream(res, { 'x-perpetual-overhead-ms': overheadMs(res, attempt.upstreamStartedAt), 'x-perpetual-model': attempt.model.name });
  const stopKeepAlive = keepAlive(res, deps.keepAliveMs ?? 15_000);
  let status = 200;
  try {
    for await (const chunk of attempt.result) await writeEvent(res, chunk);
    await writeDone(res);
  } catch (err) {
    const error = toGatewayError(err, served.requestId);
    status = signal.aborted ? 499 : error.status;
    if (!signal.aborted) await writeEvent(res, error.toJSON());
  } finally {
    stopKeepAlive();
    res.end();
  }
  const report: UsageReport = attempt.result.usage();
  deps.accounting.completed({ ...served, attempt, status, report, upstreamMs: performance.now() - attempt.upstreamStartedAt });
}
