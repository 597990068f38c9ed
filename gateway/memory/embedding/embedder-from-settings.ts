// Builds the embedder a deployment asked for in `spec.memory.embedding` (operator/api/v1alpha1/
// perpetual-deployment.ts; the operator copies it field by field into the gateway's config file,
// whose schema is operator/api/v1alpha1/gateway-config.ts):
//
//   source: builtin      the hashing embedder; `dimensions` optional (default 512)
//   source: provider     the user's provider /embeddings with their own key; `model` required,
//                        `dimensions` required unless the model's size is known
//   source: modelServer  an in-cluster embedding model, no key; `model` (the served name),
//                        `endpoint` (its URL, ending in /v1) and, unless known, `dimensions`
//
// embeddingSpace() validates the settings and names the vector space without any connection, so
// the gateway can check them and pick the Qdrant collection at start; createEmbedder() adds what
// only a request knows (the user's provider and key).
import { ConfigError } from '../../config.ts';
import type { ProviderClient, ProviderKind, ProviderTarget } from '../../providers/provider-client.ts';
import { BUILTIN_EMBEDDER_ID, createBuiltinEmbedder } from './builtin-embedder.ts';
import type { Embedder } from './embedder.ts';
import { DEFAULT_HASH_FEATURES } from './hashed-features.ts';
import { acceptsDimensionsParameter, nativeDimension } from './known-embedding-models.ts';
import { createProviderEmbedder } from './provider-embedder.ts';

export const EMBEDDING_SOURCES = ['builtin', 'provider', 'modelServer'] as const;
export type EmbeddingSource = (typeof EMBEDDING_SOURCES)[number];

/** `spec.memory.embedding`, as the gateway reads it from its config file. */
export interface EmbeddingSettings {
  source: string;
  model?: string;
  dimensions?: number;
  modelServerRef?: { name: string };
  /** modelServer: the ModelServer's in-cluster URL (ends in /v1), as for `models[].endpoint`. */
  endpoint?: string;
}

/** What identifies a vector space: vectors are comparable only within one (id, dimension). */
export interface EmbeddingSpace {
  source: EmbeddingSource;
  id: string;
  dimension: number;
  /** The model sent upstream (provider and modelServer sources). */
  model?: string;
  /** Send `dimensions` upstream: the configured size shortens a model that supports it. */
  requestDimensions: boolean;
}

const FIELD = 'memory.embedding';

function isSource(value: string): value is EmbeddingSource {
  return (EMBEDDING_SOURCES as readonly string[]).includes(value);
}

function checkedDimension(value: number | undefined, fallback: number | undefined, model: string): number {
  const dimension = value ?? fallback;
  if (dimension === undefined) {
    throw new ConfigError(
      `${FIELD}.dimensions is required for model "${model}": the gateway does not know its vector size. Set it to the size the model returns.`,
    );
  }
  if (!Number.isInteger(dimension) || dimension < 8 || dimension > 65536) {
    throw new ConfigError(`${FIELD}.dimensions must be an integer from 8 to 65536, got ${String(dimension)}.`);
  }
  return dimension;
}

function requiredModel(settings: EmbeddingSettings, source: EmbeddingSource): string {
  const model = settings.model?.trim();
  if (!model) {
    const what =
      source === 'provider'
        ? "the embedding model of the user's provider, e.g. text-embedding-3-small"
        : "the ModelServer's served model name";
    throw new ConfigError(`${FIELD}.model is required when source is ${source}: ${what}.`);
  }
  return model;
}

/** Validates the settings and names their vector space. Throws ConfigError naming the field to fix. */
export function embeddingSpace(settings: EmbeddingSettings): EmbeddingSpace {
  const source = settings.source;
  if (!isSource(source)) throw new ConfigError(`${FIELD}.source must be one of ${EMBEDDING_SOURCES.join(', ')}; got "${source}".`);
  if (source === 'builtin') {
    return {
      source,
      id: BUILTIN_EMBEDDER_ID,
      dimension: checkedDimension(settings.dimensions, DEFAULT_HASH_FEATURES.dimension, 'builtin'),
      requestDimensions: false,
    };
  }
  const model = requiredModel(settings, source);
  const native = nativeDimension(model);
  const dimension = checkedDimension(settings.dimensions, native, model);
  if (native !== undefined && dimension !== native && !acceptsDimensionsParameter(model)) {
    throw new ConfigError(
      `${FIELD}.dimensions is ${dimension}, but model "${model}" always returns ${native}. Remove dimensions or set it to ${native}.`,
    );
  }
  return { source, id: `${source}:${model}`, dimension, model, requestDimensions: native !== undefined && dimension !== native };
}

/** Where the user's provider is, for the provider source. */
export interface UserEmbeddingProvider {
  kind: ProviderKind;
  baseURL: string;
  apiKey?: string;
  /** Shown in error messages, e.g. "groq". */
  name?: string;
}

export interface EmbedderContext {
  /** The OpenAI-compatible provider client (createProviderFor(http)('openai')). Required unless builtin. */
  client?: ProviderClient;
  /** provider source: the requesting user's provider and key. */
  provider?: UserEmbeddingProvider;
  /** Deadline per embed() call for the remote sources. */
  timeoutMs?: number;
}

function requiredClient(context: EmbedderContext, source: EmbeddingSource): ProviderClient {
  if (!context.client) throw new ConfigError(`${FIELD}.source is ${source}, but no provider client was given to call it.`);
  return context.client;
}

function remoteTarget(space: EmbeddingSpace, settings: EmbeddingSettings, context: EmbedderContext): ProviderTarget {
  const upstreamModel = space.model ?? '';
  if (space.source === 'modelServer') {
    const endpoint = settings.endpoint?.trim();
    const ref = settings.modelServerRef ? ` (ModelServer "${settings.modelServerRef.name}")` : '';
    if (!endpoint) throw new ConfigError(`${FIELD}.endpoint${ref} is missing: the in-cluster URL of the embedding model, ending in /v1.`);
    return { kind: 'openai-compatible', baseURL: endpoint, upstreamModel, providerName: settings.modelServerRef?.name ?? 'modelServer' };
  }
  const provider = context.provider;
  if (!provider) throw new ConfigError(`${FIELD}.source is provider, but the user's provider is not known for this request.`);
  if (provider.kind === 'anthropic') {
    throw new ConfigError(
      `Anthropic has no embeddings API: ${FIELD}.source provider needs an OpenAI-compatible provider, or use source builtin.`,
    );
  }
  return {
    kind: provider.kind,
    baseURL: provider.baseURL,
    upstreamModel,
    ...(provider.apiKey ? { apiKey: provider.apiKey } : {}),
    ...(provider.name ? { providerName: provider.name } : {}),
  };
}

/** The embedder for these settings (validated as embeddingSpace() does). */
export function createEmbedder(settings: EmbeddingSettings, context: EmbedderContext = {}): Embedder {
  const space = embeddingSpace(settings);
  if (space.source === 'builtin') return createBuiltinEmbedder({ dimension: space.dimension });
  return createProviderEmbedder({
    client: requiredClient(context, space.source),
    target: remoteTarget(space, settings, context),
    id: space.id,
    dimension: space.dimension,
    requestDimensions: space.requestDimensions,
    ...(context.timeoutMs === undefined ? {} : { timeoutMs: context.timeoutMs }),
  });
}
