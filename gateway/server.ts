// The HTTP surface, assembled from its parts. Nothing here opens a connection or reads the
// environment: deps.ts builds what the routes need, so tests can build an app around anything.
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config.ts';
import type { KeyRing } from './crypto/key-ring.ts';
import { notFound, unavailable } from './errors.ts';
import { bodyBudget } from './middleware/body-budget.ts';
import { corsFor } from './middleware/cors.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { refuseDeepJson } from './middleware/json-depth.ts';
import { recordMetrics } from './middleware/metrics.ts';
import { requestId } from './middleware/request-id.ts';
import { traced, traceRequests } from './middleware/tracing.ts';
import type { GatewayMetrics } from './observability/metrics.ts';
import { adminRouter, deleteUserEverywhere } from './routes/admin.ts';
import { principalOf } from './middleware/authenticate.ts';
import { apiKeysRouter } from './routes/api-keys.ts';
import type { ChatDeps } from './chat/serve-chat.ts';
import { validateChatRequest } from './chat/validate-request.ts';
import { checkedBody } from './middleware/checked-body.ts';
import { admissionOf, rateLimited, rateLimitedBeside, type RateLimit } from './middleware/rate-limit.ts';
import { RecentRefusals } from './ratelimit/recent-refusals.ts';
import { validateCountTokensRequest, validateMessagesRequest } from './protocols/anthropic/ingress/validate.ts';
import { validateResponsesRequest } from './responses/validate.ts';
import { chatCompletionsRoute } from './routes/chat-completions.ts';
import { checkCompletionRequest, completionsRoute } from './routes/completions.ts';
import { embeddingsRoute, validateEmbeddingsRequest } from './routes/embeddings.ts';
import { healthRoute, type DependencyCheck } from './routes/health.ts';
import { anthropicRequestId, countTokensRoute, messagesErrors, messagesRoute, unknownMessagesPath } from './routes/messages.ts';
import { modelsRouter } from './routes/models.ts';
import { openApiRouter } from './openapi/openapi-routes.ts';
import { providerKeysRouter } from './routes/provider-keys.ts';
import { createResponseRoute, responsesRouter } from './routes/responses.ts';
import { usageRoute } from './routes/usage.ts';
import { budgetRoute, type BudgetStatus } from './routes/budget.ts';
import type { Memory } from './memory/memory-wiring.ts';
import { memoriesRouter } from './routes/memories.ts';
import type { Store } from './store.ts';

export interface AppDeps {
  config: GatewayConfig;
  log: Logger;
  metrics: GatewayMetrics;
  startedAt: number;
  /** True once shutdown began: /health answers 503 so load balancers stop sending traffic. */
  draining: () => boolean;
  healthChecks: DependencyCheck[];
  auth: { apiKey: RequestHandler; userJwt: RequestHandler; admin: RequestHandler };
  /** Throws the 429 when the caller is over a limit; returns the X-RateLimit-* headers otherwise. */
  rateLimit: RateLimit;
  /** The caller's money budgets as enforced now (GET /v1/budget; absent: no such route). */
  budgetStatus?: BudgetStatus;
  chat: ChatDeps;
  store: Store;
  keyRing: KeyRing;
  providerKeyChanged: (userId: string, provider: string) => void;
  revoked: (hash: string) => Promise<void>;
  forgetUser?: (userId: string) => Promise<Record<string, number>>;
  /** Long-term memory; absent when no vector store is configured. */
  memory?: Memory;
  /** OpenTelemetry is on (main.ts started it): requests, authentication and rate limits get spans. */
  tracing?: boolean;
}

function memoryOff(_req: Request, _res: Response, next: NextFunction): void {
  next(
    unavailable('Memory is off on this gateway: no vector store is configured (QDRANT_URL) or memory.enabled is false.', 'memory_disabled'),
  );
}

function unknownRoute(req: Request, _res: Response, next: NextFunction): void {
  next(notFound(`Unknown endpoint: ${req.method} ${req.path}. See GET /docs (or /openapi.json) for every endpoint.`, 'unknown_endpoint'));
}

export function createApp(deps: AppDeps): express.Express {
  const { config, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId, recordMetrics(metrics));
  if (deps.tracing) app.use(traceRequests);
  // Browser apps: answered before authentication, since a preflight carries no credentials.
  if (config.corsOrigins.length > 0) app.use(corsFor(config.corsOrigins));

  app.get(
    '/health',
    healthRoute({
      version: config.version,
      mode: config.mode,
      startedAt: deps.startedAt,
      checks: deps.healthChecks,
      draining: deps.draining,
    }),
  );
  const prometheus = async (_req: Request, res: Response): Promise<void> => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
  app.get('/prometheus', prometheus);
  app.get('/metrics', prometheus);
  app.use(openApiRouter({ version: config.version, prefix: config.prefix }));

  const json = [
    bodyBudget({ totalBytes: config.limits.maxBufferedBodyBytes, perRequestBytes: config.limits.maxBodyBytes }),
    express.json({ limit: config.limits.maxBodyBytes, verify: refuseDeepJson }),
  ];
  const api = Router();
  // Anthropic's SDKs read the request id from their own header, errors included (a malformed body too).
  api.use('/messages', anthropicRequestId);
  api.use(json);
  api.use(
    '/models',
    deps.auth.apiKey,
    modelsRouter({ config, startedAt: deps.startedAt, store: deps.store, providerKey: deps.chat.providerKey, log: deps.log }),
  );
  // Every endpoint that calls a model: authenticated, its body checked (a malformed request is a
  // 400 that costs no quota), then rate limited, before the route does any work.
  const withSpan = (name: string, handler: RequestHandler, until?: (res: Response) => Promise<unknown> | undefined): RequestHandler =>
    deps.tracing ? traced(name, handler, until) : handler;
  const refusals = new RecentRefusals();
  const limit = withSpan('rate_limit', rateLimited(deps.rateLimit, refusals));
  // Chats whose recall is free start it while the limit is decided (middleware/rate-limit.ts).
  // Not /responses: it reads the stored conversation it continues before it recalls.
  const limitBesideRecall = deps.chat.memory?.recallIsFree
    ? withSpan('rate_limit', rateLimitedBeside(deps.rateLimit, refusals), admissionOf)
    : limit;
  const apiKey = withSpan('auth', deps.auth.apiKey);
  api.post('/chat/completions', apiKey, checkedBody(validateChatRequest), limitBesideRecall, chatCompletionsRoute(deps.chat));
  api.post('/completions', apiKey, checkedBody(checkCompletionRequest(deps.chat)), limit, completionsRoute(deps.chat));
  api.post('/embeddings', apiKey, checkedBody(validateEmbeddingsRequest), limit, embeddingsRoute(deps.chat));
  api.post('/responses', apiKey, checkedBody(validateResponsesRequest), limit, createResponseRoute({ chat: deps.chat, store: deps.store }));
  api.use('/responses', apiKey, responsesRouter({ store: deps.store }));
  api.post('/messages', apiKey, checkedBody(validateMessagesRequest), limitBesideRecall, messagesRoute(deps.chat));
  api.post('/messages/count_tokens', apiKey, checkedBody(validateCountTokensRequest), limit, countTokensRoute(deps.chat));
  // Anthropic's error shape on every path under /messages (after the parser: its errors skip routes).
  api.use('/messages', unknownMessagesPath, messagesErrors(deps.log));
  api.get('/usage', deps.auth.apiKey, usageRoute(deps.store));
  if (deps.budgetStatus) api.get('/budget', deps.auth.apiKey, budgetRoute(deps.budgetStatus));
  api.use(
    '/provider-keys',
    deps.auth.apiKey,
    providerKeysRouter({ store: deps.store, keyRing: deps.keyRing, changed: deps.providerKeyChanged }),
  );
  if (deps.memory) api.use('/memories', deps.auth.apiKey, memoriesRouter(deps.memory));
  else api.use('/memories', deps.auth.apiKey, memoryOff);
  const keyDeps = { store: deps.store, config, revoked: deps.revoked };
  const adminDeps = { ...keyDeps, ...(deps.forgetUser ? { forgetUser: deps.forgetUser } : {}) };
  api.use('/keys', deps.auth.userJwt, apiKeysRouter(keyDeps));
  // The user's own erasure request (GDPR), with their session: everything they left behind.
  api.delete('/account', deps.auth.userJwt, async (_req: Request, res: Response) => {
    res.json(await deleteUserEverywhere(adminDeps, res, principalOf(res).userId));
  });
  app.use(config.prefix, api);
  app.use('/admin', json, deps.auth.admin, adminRouter(adminDeps));

  app.use(unknownRoute);
  app.use(errorHandler(deps.log));
  return app;
}
