// Builds memory from configuration: the Qdrant store for the configured embedding space, the
// embedder (per user for the provider source, which embeds with the user's own key) and the
// service. Memory is off without a vector store URL; the rest of the gateway works the same.
import type { Logger } from 'pino';
import { resolveModel } from '../chat/resolve-model.ts';
import { ConfigError, type GatewayConfig } from '../config.ts';
import { badRequest } from '../errors.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { ProviderClient, ProviderKind } from '../providers/provider-client.ts';
import type { UsageRecord } from '../usage/usage-record.ts';
import type { Embedder } from './embedding/embedder.ts';
import { createEmbedder, embeddingSpace, type EmbeddingSpace } from './embedding/embedder-from-settings.ts';
import { extractorCall } from './facts/extractor-call.ts';
import { makeFactMetrics } from './facts/fact-metrics.ts';
import { FactPipeline } from './facts/fact-pipeline.ts';
import { DENSE_MIN_SCORE, MemoryService } from './memory-service.ts';
import { MemoryStoreError } from './store/memory-store-error.ts';
import { QdrantMemoryStore } from './store/qdrant-memory-store.ts';

export interface Memory {
  service: MemoryService;
  store: QdrantMemoryStore;
  embedderFor: (userId: string) => Promise<Embedder>;
  /**
   * Creates the collection if needed. Rejects when the collection cannot be used with this
   * embedder (a start-up error); when Qdrant is merely unreachable it keeps trying in the
   * background and resolves, since chats work without memory meanwhile.
   */
  start(): Promise<void>;
  stop(): void;
}

const RETRY_MS = 5000;

export interface MemoryWiringDeps {
  config: GatewayConfig;
  providerFor: (kind: ProviderKind) => ProviderClient;
  providerKey: (userId: string, provider: string) => Promise<string | undefined>;
  metrics: GatewayMetrics;
  log: Logger;
  /** Where fact extraction's usage rows go (the accounting's usage log). */
  recordUsage: (row: UsageRecord) => void;
}

/** Write-time fact extraction when spec.memory.factExtraction is on (memory/facts/); throws ConfigError when it names no usable model. */
function factPipeline(
  deps: MemoryWiringDeps,
  store: QdrantMemoryStore,
  embedderFor: (userId: string) => Promise<Embedder>,
): FactPipeline | undefined {
  const settings = deps.config.memory.factExtraction;
  if (!settings?.enabled) return undefined;
  const complete = extractorCall({ config: deps.config, settings, providerFor: deps.providerFor, providerKey: deps.providerKey });
  deps.log.info(
    { source: settings.source, model: settings.model, tiers: settings.tiers, batchSize: settings.batchSize },
    'Fact extraction is on',
  );
  return new FactPipeline({
    settings,
    store,
    embedderFor,
    complete,
    recordUsage: deps.recordUsage,
    metrics: makeFactMetrics(deps.metrics.registry),
    log: deps.log.child({ component: 'fact-extraction' }),
  });
}

function embedders(deps: MemoryWiringDeps, space: EmbeddingSpace): (userId: string) => Promise<Embedder> {
  const settings = deps.config.memory.embedding;
  const client = deps.providerFor('openai-compatible');
  if (space.source !== 'provider') {
    const shared = createEmbedder(settings, { client, timeoutMs: deps.config.memory.retrievalTimeoutMs * 10 });
    return () => Promise.resolve(shared);
  }
  const model = resolveModel(deps.config, space.model ?? '');
  const provider = model.provider ?? 'openai';
  return async (userId) => {
    const apiKey = await deps.providerKey(userId, provider);
    if (!apiKey)
      throw badRequest(
        `Memory embeds with your "${provider}" key, and you have none: add it with POST /v1/provider-keys/add.`,
        'provider_key_missing',
      );
    return createEmbedder(settings, { client, provider: { kind: model.kind, baseURL: model.baseURL, apiKey, name: provider } });
  };
}

export function createMemory(deps: MemoryWiringDeps): Memory | undefined {
  const { config, log } = deps;
  const url = config.qdrant.url;
  if (!url || !config.memory.enabled) {
    log.info({ reason: url ? 'memory.enabled is false' : 'QDRANT_URL is not set' }, 'Memory is off');
    return undefined;
  }
  const space = embeddingSpace(config.memory.embedding);
  const store = new QdrantMemoryStore({
    url,
    ...(config.qdrant.apiKey ? { apiKey: config.qdrant.apiKey } : {}),
    baseCollection: config.qdrant.collection,
    embedder: { id: space.id, dimension: space.dimension },
    timeoutMs: 5000,
    onCollectionRecreated: (collection) => {
      log.warn(
        { collection },
        'Memory collection was missing (Qdrant storage lost or replaced?) and has been created again; memories stored before are gone',
      );
    },
    onMigrated: ({ from, to, copied }) => {
      log.info({ from, to, copied }, 'Memories copied into the hybrid-recall collection; the old collection is deleted');
    },
    onMigrationFailed: ({ from, to, error }) => {
      log.error(
        { from, to, err: error.message },
        'Copying memories into the hybrid-recall collection stopped; the next start resumes it (memories not yet copied are not recalled meanwhile)',
      );
    },
  });
  const embedderFor = embedders(deps, space);
  const settings = { ...config.memory, minScore: DENSE_MIN_SCORE };
  const facts = factPipeline(deps, store, embedderFor);
  const service = new MemoryService({
    store,
    embedderFor,
    settings,
    metrics: deps.metrics,
    log,
    recallIsFree: space.source === 'builtin',
    ...(facts ? { facts } : {}),
  });
  let retry: NodeJS.Timeout | undefined;
  const ensure = async (): Promise<void> => {
    try {
      await store.ensureCollection();
      log.info({ collection: store.collection, dimension: store.dimension }, 'Memory collection ready');
    } catch (err) {
      if (err instanceof MemoryStoreError && !err.retryable) throw new ConfigError(err.message);
      log.warn(
        { err: err instanceof Error ? err.message : String(err), retryInMs: RETRY_MS },
        'Vector store not reachable yet; chats go on without memory until it is',
      );
      retry = setTimeout(() => {
        ensure().catch((e: unknown) => {
          log.error({ err: e instanceof Error ? e.message : String(e) }, 'Memory collection unusable');
        });
      }, RETRY_MS);
      retry.unref();
    }
  };
  return {
    service,
    store,
    embedderFor,
    start: ensure,
    stop: () => {
      clearTimeout(retry);
    },
  };
}
