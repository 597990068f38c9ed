// GET /v1/models and GET /v1/models/{id}, in OpenAI's shapes: the models this gateway serves to the
// caller. That is the configured models (owned by "perpetual") with their LoRA adapters as
// `<model>:<adapter>` (with `parent`, as vLLM lists them) and, in proxy mode, the models the
// caller's own provider keys reach, asked of each provider and listed under a name that routes
// back to it (chat/resolve-model.ts): the provider's id where prefix routing already sends it
// there (gpt-4o, claude-sonnet-4-5), "provider/id" otherwise (groq/llama-3.1-8b-instant).
// Model pickers and "test connection" buttons call these first, so they must answer quickly: a
// provider gets a short time to answer, its list is cached per (user, provider, key), and a
// provider that fails or is slow leaves the answer with what is known.
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config.ts';
import { modelNameProblem } from '../chat/model-name.ts';
import { adapterTierRefusal, providerKind, resolveModel } from '../chat/resolve-model.ts';
import { GatewayError } from '../errors.ts';
import { principalOf } from '../middleware/authenticate.ts';
import { listProviderModels, type ListModels } from '../providers/provider-models.ts';
import type { Store } from '../store.ts';

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  /** A LoRA adapter's model (as vLLM lists adapters). */
  parent?: string;
}

export interface ModelsRouteDeps {
  config: Pick<GatewayConfig, 'models' | 'mode' | 'providerBaseURLs'>;
  startedAt: number;
  /** Which providers the user stored a key for. */
  store: Pick<Store, 'listProviderKeys'>;
  /** The user's decrypted key for a provider (the request path's cached lookup). */
  providerKey: (userId: string, provider: string) => Promise<string | undefined>;
  log: Logger;
  listModels?: ListModels;
  /** How long a provider has to answer before the list goes out without it. Default 2 s. */
  timeoutMs?: number;
  /** How long a provider's list is reused. Default 5 minutes. */
  cacheMs?: number;
  /** How long after a failure the provider is left alone (its last list, if any, is used meanwhile). Default 30 s. */
  retryAfterFailureMs?: number;
  now?: () => number;
}

/** Bounds the cache: one entry per (user, provider, key) that listed models recently. */
const MAX_CACHED_LISTS = 10_000;

/**
 * The name under which the gateway routes `upstreamId` to `provider`, or undefined when no
 * usable name does (an id with characters a model name may not hold).
 */
export function routableName(config: ModelsRouteDeps['config'], provider: string, upstreamId: string): string | undefined {
  for (const name of [upstreamId, `${provider}/${upstreamId}`]) {
    if (modelNameProblem(name)) continue;
    try {
      const resolved = resolveModel(config, name);
      if (resolved.provider === provider && resolved.upstreamModel === upstreamId) return name;
    } catch {
      // Not routable under this name; try the next.
    }
  }
  return undefined;
}

/** Configured models first, then provider models; the first of any id wins. */
export function modelList(
  config: ModelsRouteDeps['config'],
  created: number,
  providerLists: readonly { provider: string; ids: readonly string[] }[],
): ModelObject[] {
  const models = new Map<string, ModelObject>();
  for (const m of config.models) models.set(m.name, { id: m.name, object: 'model', created, owned_by: 'perpetual' });
  // Adapters under the name that always reaches them (the bare name can be shadowed); a refused one answers 404, so it is not listed.
  for (const m of config.models) {
    for (const a of m.adapters ?? []) {
      const id = `${m.name}:${a.name}`;
      if (a.loadError === undefined && !models.has(id))
        models.set(id, { id, object: 'model', created, owned_by: 'perpetual', parent: m.name });
    }
  }
  for (const { provider, ids } of providerLists) {
    for (const upstreamId of ids) {
      const id = routableName(config, provider, upstreamId);
      if (id !== undefined && !models.has(id)) models.set(id, { id, object: 'model', created, owned_by: provider });
    }
  }
  return [...models.values()];
}

export function modelNotFound(id: string): GatewayError {
  // The id is the caller's path: shown only when it could be a model name, so never a payload.
  const shown = modelNameProblem(id) ? 'The model' : `The model "${id}"`;
  return new GatewayError(`${shown} does not exist or is not served here. GET /v1/models lists the models you can use.`, {
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
  });
}

interface CachedList {
  ids: string[];
  /** When to ask the provider again. */
  refreshAt: number;
}

/** The models each of the user's provider keys reaches, from the cache or the provider. */
export function providerModelLister(deps: ModelsRouteDeps): (userId: string) => Promise<{ provider: string; ids: string[] }[]> {
  const listModels = deps.listModels ?? listProviderModels;
  const now = deps.now ?? Date.now;
  const cache = new Map<string, CachedList>();
  const remember = (key: string, entry: CachedList): void => {
    cache.delete(key);
    cache.set(key, entry);
    if (cache.size > MAX_CACHED_LISTS) cache.delete(cache.keys().next().value ?? '');
  };

  async function listFor(userId: string, provider: string, baseURL: string): Promise<string[]> {
    const apiKey = await deps.providerKey(userId, provider).catch(() => undefined);
    if (!apiKey) return [];
    // Keyed on a digest of the key too: a replaced key is asked afresh, and no key sits in the map.
    const key = `${userId}:${provider}:${createHash('sha256').update(apiKey).digest('base64url').slice(0, 16)}`;
    const cached = cache.get(key);
    if (cached && cached.refreshAt > now()) return cached.ids;
    try {
      const ids = await listModels(
        { kind: providerKind(provider), provider, baseURL, apiKey },
        AbortSignal.timeout(deps.timeoutMs ?? 2000),
      );
      remember(key, { ids, refreshAt: now() + (deps.cacheMs ?? 300_000) });
      return ids;
    } catch (err) {
      // Our own message (provider-models.ts): the provider's name and status, never the key.
      deps.log.warn({ provider, err: (err as Error).message }, "Cannot list the models of a user's provider; answering without them");
      const ids = cached?.ids ?? [];
      remember(key, { ids, refreshAt: now() + (deps.retryAfterFailureMs ?? 30_000) });
      return ids;
    }
  }

  return async (userId) => {
    if (deps.config.mode !== 'proxy') return [];
    let providers: string[];
    try {
      providers = (await deps.store.listProviderKeys(userId)).map((key) => key.provider);
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, "Cannot read the user's provider keys; listing the configured models only");
      return [];
    }
    const reachable = providers.flatMap((provider) => {
      const baseURL = deps.config.providerBaseURLs[provider];
      return baseURL ? [{ provider, baseURL }] : [];
    });
    return Promise.all(reachable.map(async ({ provider, baseURL }) => ({ provider, ids: await listFor(userId, provider, baseURL) })));
  };
}

export function modelsRouter(deps: ModelsRouteDeps): Router {
  const created = Math.floor(deps.startedAt / 1000);
  const providerModels = providerModelLister(deps);
  // A key held to some models (its scopes) lists, and finds, only those: the rest it cannot call.
  // Likewise an adapter closed to the caller's tier.
  const reachable = (res: Response, models: ModelObject[]): ModelObject[] => {
    const { scopes, tier } = principalOf(res);
    const allowed = scopes?.models;
    return models.filter(
      (m) => (!allowed || allowed.includes(m.id)) && (m.parent === undefined || !adapterTierRefusal(deps.config.models, m.id, tier)),
    );
  };
  const modelsFor = async (res: Response): Promise<ModelObject[]> =>
    reachable(res, modelList(deps.config, created, await providerModels(principalOf(res).userId)));

  const router = Router();
  router.get('/', async (_req: Request, res: Response) => {
    res.json({ object: 'list', data: await modelsFor(res) });
  });
  // A wildcard: "provider/model" ids hold a slash, sent as is or percent-encoded.
  router.get('/*id', async (req: Request, res: Response) => {
    const segments: unknown = req.params.id;
    const id = Array.isArray(segments) ? segments.join('/') : String(segments);
    // A configured model needs no provider asked.
    const model =
      reachable(res, modelList(deps.config, created, [])).find((m) => m.id === id) ?? (await modelsFor(res)).find((m) => m.id === id);
    if (!model) throw modelNotFound(id);
    res.json(model);
  });
  return router;
}
