// From a resolved model to a call upstream: the user's provider key (proxy mode), the target,
// and one fallback model when the first choice fails before answering. Nothing here touches
// HTTP requests or responses, so the same path serves /v1/chat/completions and /v1/messages.
import { GatewayError, badRequest } from '../errors.ts';
import type { ProviderClient, ProviderKind, ProviderTarget } from '../providers/provider-client.ts';
import type { ChatCompletionRequest } from '../providers/types.ts';
import { resolveModel, type ResolvedModel } from './resolve-model.ts';
import type { GatewayConfig } from '../config.ts';

export interface UpstreamDeps {
  config: Pick<GatewayConfig, 'mode' | 'models' | 'providerBaseURLs' | 'prefix'>;
  providerFor: (kind: ProviderKind) => ProviderClient;
  /** The user's decrypted key for a provider, or undefined when they stored none. */
  providerKey: (userId: string, provider: string) => Promise<string | undefined>;
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
  const base = { kind: model.kind, baseURL: model.baseURL, upstreamModel: model.upstreamModel, ...(model.provider ? { providerName: model.provider } : {}) };
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
}

/**
 * Calls `call` for the requested model and, when that fails before any answer and the model has
 * a fallback, once more for the fallback. The client's model name stays on the request: responses
 * show what the client asked for, and the upstream receives the target's upstream name.
 */
export async function callWithFallback<T>(
  deps: UpstreamDeps,
  request: { userId: string; body: ChatCompletionRequest },
  call: (client: ProviderClient, target: ProviderTarget) => Promise<T>,
): Promise<Attempt<T>> {
  const first = resolveModel(deps.config, request.body.model);
  try {
    return await attempt(deps, request.userId, first, call);
  } catch (err) {
    const fallbackName = first.route?.fallback;
    if (!fallbackName || !isFallbackWorthy(err)) throw err;
    return attempt(deps, request.userId, resolveModel(deps.config, fallbackName), call);
  }
}

async function attempt<T>(deps: UpstreamDeps, userId: string, model: ResolvedModel, call: (client: ProviderClient, target: ProviderTarget) => Promise<T>): Promise<Attempt<T>> {
  const target = await targetFor(deps, userId, model);
  const upstreamStartedAt = performance.now();
  const result = await call(deps.providerFor(model.kind), target);
  return { model, target, result, upstreamStartedAt };
}
