// From a resolved model to a call upstream: the user's provider key (proxy mode), the target,
// and one fallback model when the first choice fails before answering. A model served by a
// ModelServer goes through the replica router (local mode): one of its ready replicas, another one
// after a connection failure, or a wait while it scales from zero. Nothing here touches HTTP
// requests or responses, so the same path serves every endpoint that calls a model.
import { GatewayError, badRequest } from '../errors.ts';
import type { ProviderClient, ProviderKind, ProviderTarget } from '../providers/provider-client.ts';
import type { PromptParts } from '../routing/prefix-blocks.ts';
import type { ReplicaRouter } from '../routing/replica-router.ts';
import { resolveModel, type ResolvedModel } from './resolve-model.ts';
import type { GatewayConfig } from '../config.ts';

export interface UpstreamDeps {
  config: Pick<GatewayConfig, 'mode' | 'models' | 'providerBaseURLs' | 'prefix'>;
  providerFor: (kind: ProviderKind) => ProviderClient;
  /** The user's decrypted key for a provider, or undefined when they stored none. */
  providerKey: (userId: string, provider: string) => Promise<string | undefined>;
  /** Local mode: spreads requests over ModelServer replicas and holds them while none is ready. */
  router?: ReplicaRouter;
  /** Counts a request as in flight upstream for a model (the client's name); returns the matching decrement. */
  inFlight?: (model: string) => () => void;
}

/** What routing needs to know about a request (chat, completions, embeddings alike): of the body, only the prompt prefix routing reads. */
export interface UpstreamRequest {
  userId: string;
  /** The model the client named. */
  model: string;
  /** Session affinity's key in local mode. */
  conversationId?: string | undefined;
  /** Local mode, prefix routing: the prompt's tools and messages as sent upstream (read, never copied or changed). */
  prompt?: PromptParts | undefined;
  /** The client's; a held request leaves the queue when it aborts. */
  signal?: AbortSignal;
  /** Called once if the request is held for a ModelServer replica. */
  onHold?: () => void;
  /**
   * Keep the request counted in flight (and its replica claimed) after `call` resolves, until the
   * caller runs `attempt.release()`: for streams, whose answer is still being read. By default the
   * claim ends when `call` resolves.
   */
  keepLease?: boolean;
}

export function missingProviderKey(provider: string, prefix: string): GatewayError {
  return badRequest(
    `No API key found for provider "${provider}". Add yours once and it is stored encrypted: ` +
      `curl -X POST <gateway>${prefix}/provider-keys/add -H "Authorization: Bearer $PERPETUAL_API_KEY" ` +
      `-H "Content-Type: application/json" -d '{"provider": "${provider}", "api_key": "..."}'`,
    'provider_key_missing',
  );
}

export async function targetFor(deps: UpstreamDeps, userId: string, model: ResolvedModel): Promise<ProviderTarget> {
  const base = {
    kind: model.kind,
    baseURL: model.baseURL,
    upstreamModel: model.upstreamModel,
    ...(model.provider ? { providerName: model.provider } : {}),
  };
  if (!model.provider) return base;
  const apiKey = await deps.providerKey(userId, model.provider);
  if (!apiKey) throw missingProviderKey(model.provider, deps.config.prefix);
  return { ...base, apiKey };
}

/** Failures worth a second model: the upstream is down, overloaded or too slow, not "your request is wrong". */
export function isFallbackWorthy(err: unknown): boolean {
  return err instanceof GatewayError && (err.status === 429 || err.status >= 500);
}

export interface Attempt<T> {
  model: ResolvedModel;
  target: ProviderTarget;
  result: T;
  /** When the upstream call started, for overhead accounting (performance.now()). */
  upstreamStartedAt: number;
  /** Local mode: how long the request was held for a ModelServer replica (0: it was not). */
  heldMs: number;
  /** Ends the in-flight count and the replica claim (idempotent; already done unless `keepLease`). */
  release(): void;
}

/**
 * Calls `call` for the requested model and, when that fails before any answer and the model has
 * a fallback, once more for the fallback. The client's model name stays on the request: responses
 * show what the client asked for, and the upstream receives the target's upstream name.
 */
export async function callWithFallback<T>(
  deps: UpstreamDeps,
  request: UpstreamRequest,
  call: (client: ProviderClient, target: ProviderTarget) => Promise<T>,
): Promise<Attempt<T>> {
  const first = resolveModel(deps.config, request.model);
  try {
    return await attempt(deps, request, first, call);
  } catch (err) {
    const fallbackName = first.route?.fallback;
    if (!fallbackName || !isFallbackWorthy(err)) throw err;
    return attempt(deps, request, resolveModel(deps.config, fallbackName), call);
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

interface Sent<T> {
  result: T;
  target: ProviderTarget;
  upstreamStartedAt: number;
  heldMs: number;
  release: () => void;
}

async function attempt<T>(
  deps: UpstreamDeps,
  request: UpstreamRequest,
  model: ResolvedModel,
  call: (client: ProviderClient, target: ProviderTarget) => Promise<T>,
): Promise<Attempt<T>> {
  const target = await targetFor(deps, request.userId, model);
  const client = deps.providerFor(model.kind);
  // One upstream call, counted in flight from its start until released.
  const send = async (to: ProviderTarget): Promise<Sent<T>> => {
    const upstreamStartedAt = performance.now();
    const release = once(deps.inFlight?.(model.name) ?? ((): void => undefined));
    try {
      return { result: await call(client, to), target: to, upstreamStartedAt, heldMs: 0, release };
    } catch (err) {
      release();
      throw err;
    }
  };
  const route = model.route;
  let sent: Sent<T>;
  if (deps.router?.handles(route)) {
    const routed = await deps.router.call(
      route,
      {
        conversationId: request.conversationId,
        prompt: request.prompt,
        servedModel: model.upstreamModel,
        signal: request.signal,
        ...(request.onHold ? { onHold: request.onHold } : {}),
      },
      (replica) => send({ ...target, baseURL: replica.baseURL }),
    );
    sent = {
      ...routed.result,
      heldMs: routed.heldMs,
      release: once(() => {
        routed.result.release();
        routed.release();
      }),
    };
  } else {
    sent = await send(target);
  }
  if (!request.keepLease) sent.release();
  return {
    model,
    target: sent.target,
    result: sent.result,
    upstreamStartedAt: sent.upstreamStartedAt,
    heldMs: sent.heldMs,
    release: sent.release,
  };
}
