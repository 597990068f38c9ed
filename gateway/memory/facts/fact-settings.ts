// Fact extraction's settings, from spec.memory.factExtraction through the gateway file
// (operator/api/v1alpha1/gateway-config.ts) with the gateway's defaults for what is absent. Off
// unless asked for: extraction is an LLM call per batch, paid for with the account's own key in
// proxy mode.
import type { GatewayFileFactExtraction } from '../../../operator/api/v1alpha1/gateway-config.ts';

export interface FactExtractionSettings {
  enabled: boolean;
  /** `provider`: `model` is a model name as clients send it, called with the account's provider key (or a local route without one); `modelServer`: `endpoint`, an in-cluster ModelServer. */
  source: 'provider' | 'modelServer';
  model: string | undefined;
  /** modelServer source: the ModelServer's URL (ends in /v1), resolved by the operator. */
  endpoint: string | undefined;
  /** The tiers whose users' exchanges are extracted. */
  tiers: readonly string[];
  /** Exchanges per extractor call. */
  batchSize: number;
  /** Longest an exchange waits for its batch to fill. */
  flushIntervalMs: number;
  /** Deadline of one extractor call. */
  timeoutMs: number;
}

export const DEFAULT_FACT_EXTRACTION: FactExtractionSettings = {
  enabled: false,
  source: 'provider',
  model: undefined,
  endpoint: undefined,
  tiers: ['free', 'pro', 'enterprise'],
  batchSize: 8,
  flushIntervalMs: 30_000,
  timeoutMs: 30_000,
};

export function factExtractionSettings(file: GatewayFileFactExtraction | undefined): FactExtractionSettings {
  // modelServerRef is not read: the operator resolved it to `endpoint` and `model`.
  const d = DEFAULT_FACT_EXTRACTION;
  const f = file ?? {};
  return {
    enabled: f.enabled ?? d.enabled,
    source: f.source ?? d.source,
    model: f.model,
    endpoint: f.endpoint,
    tiers: f.tiers ?? d.tiers,
    batchSize: f.batchSize ?? d.batchSize,
    flushIntervalMs: f.flushIntervalMs ?? d.flushIntervalMs,
    timeoutMs: f.timeoutMs ?? d.timeoutMs,
  };
}
