// client-node (2.0) builds a new undici Agent for every API request, so every request opens a new
// TLS connection: a full handshake on both ends. Profiling the operator converging 300
// PerpetualDeployments showed TLS set-up as its largest cost, and the API server pays the same
// handshakes on the same two cores. This KubeConfig keeps one Agent (a keep-alive connection
// pool) per context and reuses it.
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';

/**
 * An Agent is replaced after this long, so credentials that live in the TLS options (client
 * certificates an exec plugin renews) reach new connections within this time. Tokens are headers,
 * set on every request, and are never cached here.
 */
const MAX_AGENT_AGE_MS = 5 * 60_000;

interface PooledAgent {
  agent: Dispatcher;
  createdAt: number;
}

export class PooledKubeConfig extends KubeConfig {
  private readonly agents = new Map<string, PooledAgent>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    // The library just made a fresh Agent for this request; it has opened nothing yet.
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const key = this.getCurrentContext();
    const now = Date.now();
    const pooled = this.agents.get(key);
    if (pooled && now - pooled.createdAt < MAX_AGENT_AGE_MS) {
      context.setDispatcher(pooled.agent);
      return;
    }
    this.agents.set(key, { agent: fresh, createdAt: now });
    // In-flight requests on the old Agent finish; then its connections close.
    if (pooled) void pooled.agent.close().catch(() => undefined);
  }
}
