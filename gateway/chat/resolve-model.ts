// Which upstream serves a model name. Configured models (from the PerpetualDeployment) win; in
// proxy mode any other name is still routable as "provider/model" or by a well-known prefix
// (gpt-, o1-, claude-, ...), so users can reach new models without a platform change.
//
// A local model's LoRA adapters (its ModelServer's spec.adapters, in the file the operator writes)
// are named `<model>:<adapter>` or by the adapter's name alone; a configured model of the same name
// wins over an adapter. They go to the same ModelServer's replicas, with the adapter's name as the
// upstream model, as vLLM expects. Every ready replica is taken to have every listed adapter: the
// operator loads them on all (at start, and through vLLM's dynamic API on running replicas), so
// there is no per-replica filter. An adapter a replica refused answers 404 here, quoting the server.
import type { GatewayConfig, ModelRoute } from '../config.ts';
import { GatewayError } from '../errors.ts';
import type { ProviderKind } from '../providers/provider-client.ts';

export interface ResolvedModel {
  /** The name the client used, echoed back in responses. */
  name: string;
  /** The user's provider key is looked up under this name; undefined in local mode (no key). */
  provider: string | undefined;
  kind: ProviderKind;
  baseURL: string;
  upstreamModel: string;
  route: ModelRoute | undefined;
  /** The LoRA adapter asked for, when the name was one of a local model's adapters. */
  adapter?: string;
}

const PREFIXES: [RegExp, string][] = [
  [/^(gpt-|o\d|chatgpt-|text-embedding-|davinci|babbage|omni-)/, 'openai'],
  [/^claude-/, 'anthropic'],
  [/^(mistral-|mixtral-|codestral-|open-mistral)/, 'mistral'],
  [/^deepseek-/, 'deepseek'],
];

export function providerKind(provider: string | undefined): ProviderKind {
  if (provider === 'openai') return 'openai';
  if (provider === 'anthropic') return 'anthropic';
  return 'openai-compatible';
}

function fromRoute(config: Pick<GatewayConfig, 'providerBaseURLs'>, route: ModelRoute): ResolvedModel | undefined {
  if (route.endpoint) {
    return {
      name: route.name,
      provider: undefined,
      kind: 'openai-compatible',
      baseURL: route.endpoint,
      upstreamModel: route.upstreamModel,
      route,
    };
  }
  const provider = route.provider ?? 'openai';
  const baseURL = route.baseURL ?? config.providerBaseURLs[provider];
  if (!baseURL) return undefined;
  return { name: route.name, provider, kind: providerKind(provider), baseURL, upstreamModel: route.upstreamModel, route };
}

function inferred(config: Pick<GatewayConfig, 'providerBaseURLs'>, name: string): ResolvedModel | undefined {
  const slash = name.indexOf('/');
  if (slash > 0) {
    const provider = name.slice(0, slash).toLowerCase();
    const baseURL = config.providerBaseURLs[provider];
    if (baseURL) return { name, provider, kind: providerKind(provider), baseURL, upstreamModel: name.slice(slash + 1), route: undefined };
  }
  const provider = PREFIXES.find(([pattern]) => pattern.test(name))?.[1];
  const baseURL = provider ? config.providerBaseURLs[provider] : undefined;
  if (!provider || !baseURL) return undefined;
  return { name, provider, kind: providerKind(provider), baseURL, upstreamModel: name, route: undefined };
}

type Adapter = NonNullable<ModelRoute['adapters']>[number];

/** The local model and adapter `name` means: `<model>:<adapter>` first, then an adapter's own name (the first model's). */
function findAdapter(models: readonly ModelRoute[], name: string): { route: ModelRoute; adapter: Adapter } | undefined {
  for (const route of models) {
    const adapter = route.adapters?.find((a) => name === `${route.name}:${a.name}`);
    if (adapter) return { route, adapter };
  }
  for (const route of models) {
    const adapter = route.adapters?.find((a) => name === a.name);
    if (adapter) return { route, adapter };
  }
  return undefined;
}

function fromAdapter(
  config: Pick<GatewayConfig, 'providerBaseURLs'>,
  name: string,
  { route, adapter }: { route: ModelRoute; adapter: Adapter },
): ResolvedModel | undefined {
  if (adapter.loadError !== undefined) {
    throw new GatewayError(`The adapter "${adapter.name}" of model "${route.name}" is not loaded: ${adapter.loadError}`, {
      status: 404,
      type: 'not_found_error',
      code: 'model_not_found',
      param: 'model',
    });
  }
  // No fallback: another model would answer without the adapter, which is not what was asked for.
  const base = fromRoute(config, { ...route, fallback: undefined });
  return base && { ...base, name, upstreamModel: adapter.name, adapter: adapter.name, route: base.route };
}

/**
 * Why `tier` may not use the adapter `model` names (its spec.adapters[].tiers leaves the tier out),
 * or undefined: for any other model, or an adapter open to the tier. Checked where the caller's
 * tier is known (authentication), beside the key's model scopes.
 */
export function adapterTierRefusal(models: readonly ModelRoute[], model: unknown, tier: string): string | undefined {
  if (typeof model !== 'string' || models.some((m) => m.name === model)) return undefined;
  const found = findAdapter(models, model);
  const tiers = found?.adapter.tiers;
  if (!found || !tiers || tiers.includes(tier)) return undefined;
  return `The ${tier} tier may not use the adapter "${found.adapter.name}" of model "${found.route.name}": it is open to ${tiers.join(', ')}.`;
}

export function resolveModel(config: Pick<GatewayConfig, 'mode' | 'models' | 'providerBaseURLs'>, name: string): ResolvedModel {
  const route = config.models.find((m) => m.name === name);
  const adapter = route ? undefined : findAdapter(config.models, name);
  if (adapter) {
    const resolved = fromAdapter(config, name, adapter);
    if (resolved) return resolved;
  }
  const resolved = route ? fromRoute(config, route) : config.mode === 'proxy' ? inferred(config, name) : undefined;
  if (resolved) return resolved;
  const known = config.models.map((m) => m.name);
  const hint =
    known.length > 0
      ? ` Available models: ${known.join(', ')}.`
      : config.mode === 'proxy'
        ? ' Name a provider\'s model (e.g. gpt-4o-mini, claude-sonnet-4-5) or use "provider/model" (e.g. groq/llama-3.1-8b-instant).'
        : '';
  throw new GatewayError(`The model "${name}" does not exist or is not served here.${hint}`, {
    status: 404,
    type: 'not_found_error',
    code: 'model_not_found',
    param: 'model',
  });
}
