// Local mode's request routing: a model name → its ModelServer's pool → one ready replica, chosen by
// the route's policy. A replica that fails before answering (connection refused or reset, no
// response in time, a 502/503) is skipped for a while and the request goes to another, each
// replica at most once and at most `maxAttempts` in all; since none of those did any work, the
// retry cannot generate or bill twice. With no ready replica, the pool holds the request (scale
// from zero), and again after a replica that answered 503 because it was just put to sleep.
import type { Logger } from 'pino';
import type { ModelRoute } from '../config.ts';
import type { ReplicaAddress } from './endpoint-resolver.ts';
import type { PoolSnapshot, ReplicaPool } from './replica-pool.ts';
import { prefixBlocks, promptPrefixText, type PromptParts } from './prefix-blocks.ts';
import { isReplicaFailure } from './replica-failure.ts';
import type { RoutingPolicy } from './routing-policy.ts';

export interface RouterSettings {
  /** The policy of routes that name none. */
  policy: RoutingPolicy;
  /** Replicas tried per request, the first included. */
  maxAttempts: number;
}

export interface RoutedRequest {
  /** The conversation id, the session-affinity key. */
  conversationId: string | undefined;
  /** The prompt as sent upstream (memories included), for prefix routing; read only under that policy. */
  prompt?: PromptParts | undefined;
  /**
   * The model the replicas are asked for when it is not the route's own: a LoRA adapter's name.
   * vLLM keeps each adapter's prefix cache apart from the base model's, so the prefix hashes are
   * seeded with it.
   */
  servedModel?: string | undefined;
  signal: AbortSignal | undefined;
  /** Called once if the request is held for a replica (streams start their keep-alives here). */
  onHold?: () => void;
}

export interface Routed<T> {
  result: T;
  replica: ReplicaAddress;
  /** How long the request was held for a ready replica (0: it was not). */
  heldMs: number;
  /** Ends the request's claim on the replica; call when the response is over (streams: after the last chunk). */
  release: () => void;
}

export interface RouterOptions {
  pools: ReadonlyMap<string, ReplicaPool>;
  settings: RouterSettings;
  log: Logger;
  /** A request moved to another replica after a failure. */
  onFailover?: (model: string) => void;
}

/** A ModelServer's replica pool as it last saw it. */
export interface ModelServerState {
  name: string;
  snapshot: PoolSnapshot;
}

/**
 * The prompt's prefix block hashes, once per request and only when the policy reads them; seeded
 * with the model the replicas are asked for, so two models (or a model and its adapter) never share a cache entry.
 */
function prefixBlocksFor(policy: RoutingPolicy, route: ModelRoute, request: RoutedRequest): number[] | undefined {
  if (policy !== 'prefix' || !request.prompt) return undefined;
  return prefixBlocks(promptPrefixText(request.prompt), request.servedModel ?? route.upstreamModel);
}

export class ReplicaRouter {
  readonly #options: RouterOptions;

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  /** Whether a route's requests go through replica routing (it names a known ModelServer). */
  handles(route: ModelRoute | undefined): route is ModelRoute & { modelServer: string } {
    return route?.modelServer !== undefined && this.#options.pools.has(route.modelServer);
  }

  start(): void {
    for (const pool of this.#options.pools.values()) pool.start();
  }

  /** Every ModelServer's pool as it last saw it (for /health). */
  snapshots(): ModelServerState[] {
    return [...this.#options.pools.values()].map((pool) => ({ name: pool.name, snapshot: pool.snapshot() }));
  }

  /** The gateway is draining: see ReplicaPool.stopHolding. */
  stopHolding(): void {
    for (const pool of this.#options.pools.values()) pool.stopHolding();
  }

  close(): void {
    for (const pool of this.#options.pools.values()) pool.close();
  }

  /** Sends the request to a replica of the route's ModelServer, moving on after replica failures. */
  async call<T>(
    route: ModelRoute & { modelServer: string },
    request: RoutedRequest,
    send: (replica: ReplicaAddress) => Promise<T>,
  ): Promise<Routed<T>> {
    const pool = this.#options.pools.get(route.modelServer);
    if (!pool) throw new Error(`No replica pool for ModelServer "${route.modelServer}"`);
    const policy = route.routing ?? this.#options.settings.policy;
    const blocks = prefixBlocksFor(policy, route, request);
    const tried = new Set<string>();
    let lastFailure: unknown;
    let heldMs = 0;
    let holdAgain = false;
    for (let attempt = 0; attempt < this.#options.settings.maxAttempts; attempt++) {
      const lease = await pool.acquire({
        model: route.name,
        policy,
        key: request.conversationId,
        blocks,
        exclude: tried,
        signal: request.signal,
        hold: attempt === 0 || holdAgain,
        ...(request.onHold ? { onHold: request.onHold } : {}),
      });
      if (!lease) break;
      heldMs += lease.heldMs;
      try {
        return { result: await send(lease.replica), replica: lease.replica, heldMs, release: lease.release };
      } catch (err) {
        lease.release();
        if (request.signal?.aborted || !isReplicaFailure(err)) throw err;
        lastFailure = err;
        // Put to sleep since the pool last looked (standby): not a failure; the pool wakes it while this request waits.
        holdAgain = await pool.fellAsleep(lease.replica.id);
        if (holdAgain) continue;
        pool.markFailed(lease.replica.id);
        tried.add(lease.replica.id);
        this.#options.onFailover?.(route.name);
        this.#options.log.debug(
          { model: route.name, replica: lease.replica.id, attempt },
          'Replica failed before answering; trying another',
        );
      }
    }
    throw lastFailure;
  }
}
