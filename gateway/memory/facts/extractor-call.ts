// Where the extractor model is and who pays for it, settled once at start: the `provider`
// source names a model the way clients do (proxy mode: the provider and upstream model it
// resolves to, called with the account's own provider key, as its chats are; a local route: its
// ModelServer, no key); the `modelServer` source names an in-cluster ModelServer the operator
// resolved to a URL. Each call asks for a JSON object at temperature 0 and reports its tokens and
// their price (the model's pricing, as for chats) for the usage row.
import type { GatewayConfig } from '../../config.ts';
import { ConfigError } from '../../config/config-error.ts';
import { resolveModel, type ResolvedModel } from '../../chat/resolve-model.ts';
import { badRequest, GatewayError } from '../../errors.ts';
import type { ChatMessage } from '../../protocols/openai/types.ts';
import type { ProviderClient, ProviderKind, ProviderTarget } from '../../providers/provider-client.ts';
import { PriceTable } from '../../usage/pricing.ts';
import type { CompleteFn, ExtractorAnswer } from './fact-extractor.ts';
import type { FactExtractionSettings } from './fact-settings.ts';

/** Longest extractor answer: a batch's facts fit easily; a runaway answer stops here. */
export const EXTRACTION_MAX_TOKENS = 2048;

export interface ExtractorCallDeps {
  config: Pick<GatewayConfig, 'mode' | 'models' | 'providerBaseURLs'>;
  settings: FactExtractionSettings;
  providerFor: (kind: ProviderKind) => ProviderClient;
  providerKey: (userId: string, provider: string) => Promise<string | undefined>;
}

interface Route {
  model: string;
  kind: ProviderKind;
  baseURL: string;
  upstreamModel: string;
  /** The provider whose key the account must have; undefined for a ModelServer. */
  provider: string | undefined;
}

function route(deps: ExtractorCallDeps): Route {
  const { settings } = deps;
  const model = settings.model;
  if (settings.source === 'modelServer') {
    if (!settings.endpoint || !model)
      throw new ConfigError(
        'memory.factExtraction: the modelServer source needs the ModelServer endpoint and its model (the operator fills both from modelServerRef).',
      );
    return { model, kind: 'openai-compatible', baseURL: settings.endpoint, upstreamModel: model, provider: undefined };
  }
  if (!model) throw new ConfigError('memory.factExtraction.model is required: name the model that extracts facts (as clients name it).');
  let resolved: ResolvedModel;
  try {
    resolved = resolveModel(deps.config, model);
  } catch (err) {
    throw new ConfigError(`memory.factExtraction.model: ${err instanceof GatewayError ? err.message : String(err)}`);
  }
  return { model, kind: resolved.kind, baseURL: resolved.baseURL, upstreamModel: resolved.upstreamModel, provider: resolved.provider };
}

/** The extractor call for these settings; throws ConfigError when they name no usable model. */
export function extractorCall(deps: ExtractorCallDeps): CompleteFn {
  const target = route(deps);
  const client = deps.providerFor(target.kind);
  const prices = new PriceTable(deps.config.models);
  return async (userId: string, messages: ChatMessage[], signal: AbortSignal): Promise<ExtractorAnswer> => {
    let apiKey: string | undefined;
    if (target.provider !== undefined) {
      apiKey = await deps.providerKey(userId, target.provider);
      if (!apiKey)
        throw badRequest(`Fact extraction uses the account's "${target.provider}" key, and it has none.`, 'provider_key_missing');
    }
    const call: ProviderTarget = {
      kind: target.kind,
      baseURL: target.baseURL,
      upstreamModel: target.upstreamModel,
      providerName: target.provider ?? 'local',
      ...(apiKey === undefined ? {} : { apiKey }),
    };
    const result = await client.chat(
      { model: target.model, messages, temperature: 0, max_tokens: EXTRACTION_MAX_TOKENS, response_format: { type: 'json_object' } },
      call,
      signal,
    );
    const usage = result.usage;
    const input = usage.prompt_tokens;
    const cachedInput = usage.prompt_tokens_details?.cached_tokens ?? 0;
    const output = usage.completion_tokens;
    return {
      text: result.response.choices[0]?.message.content ?? '',
      model: target.model,
      provider: target.provider ?? 'local',
      inputTokens: input,
      cachedInputTokens: cachedInput,
      outputTokens: output,
      costUsd: prices.costUsd({ model: target.model, inputTokens: input, outputTokens: output, cachedInputTokens: cachedInput }).usd,
      usageEstimated: result.usageEstimated,
    };
  };
}
