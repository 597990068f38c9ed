// Which client speaks to which kind of provider. Clients are stateless apart from the shared
// UpstreamHttp, so one of each per process is enough.
import { createAnthropicProvider } from './anthropic/provider.ts';
import { createOpenAICompatibleProvider } from './openai-compatible/provider.ts';
import type { ProviderClient, ProviderKind } from './provider-client.ts';
import type { UpstreamHttp } from './transport/upstream-http.ts';

export type ProviderFor = (kind: ProviderKind) => ProviderClient;

export function createProviderFor(http: UpstreamHttp, now: () => number = Date.now): ProviderFor {
  const openai = createOpenAICompatibleProvider(http, now);
  const anthropic = createAnthropicProvider(http, now);
  return (kind) => (kind === 'anthropic' ? anthropic : openai);
}
