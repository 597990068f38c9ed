// A ModelServer's adapters as the gateway's file lists them (operator/api/v1alpha1/gateway-config.ts).
// Only what changes rarely goes in: the names from the spec and, for an adapter a replica refused,
// the server's message. Loading progress stays out, so the file (whose hash rolls the gateway) does
// not change while adapters load; an adapter is routable from the moment it is listed, as every
// ready replica gets it (at start, or through the adapter sync).
import type { GatewayFileAdapter } from '../api/v1alpha1/gateway-config.ts';
import type { ModelServer } from '../api/v1alpha1/model-server.ts';

export function gatewayAdapters(ms: ModelServer | undefined): GatewayFileAdapter[] | undefined {
  const adapters = ms?.spec.adapters ?? [];
  if (adapters.length === 0) return undefined;
  const failed = new Map(
    (ms?.status?.adapters ?? []).flatMap((a) => (a.state === 'Failed' ? [[a.name, a.message ?? 'failed to load']] : [])),
  );
  return [...adapters]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((a) => ({ name: a.name, tiers: a.tiers ? [...a.tiers] : undefined, loadError: failed.get(a.name) }));
}
