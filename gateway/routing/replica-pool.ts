// One ModelServer's replicas as this gateway sees them: who they are (the resolver, re-asked every
// poll), which are ready (their health path, polled), how many requests each has in flight from
// here, and the requests held while none is ready.
//
// Polling runs every REPLICA_HEALTH_INTERVAL_MS, and every 100 ms while requests are held (as llm-d's
// scale-from-zero loop does), so a replica that finishes loading starts serving within a fraction
// of a second. Holding a request with no ready replica asks the ScaleTrigger for a
// first replica at once, and again every 10 s while it still has none (someone may have scaled it
// back to zero in between). A held request leaves the queue as soon as its client disconnects,
// its wait is over, or the ModelServer disappears.
//
// A ModelServer with a warm standby (autoscaling.standby) keeps idle replicas asleep instead of at
// zero: a sleeping replica is ready but never chosen, and requests that find every replica asleep
// are held while the pool wakes them (sleep-control.ts), as they are held while one starts.
import type { Logger } from 'pino';
import { clientClosed } from '../providers/transport/upstream-errors.ts';
import type { Candidate } from './candidate.ts';
import { chooseReplica } from './choose-replica.ts';
import type { EndpointResolver, ModelServerRef, ReplicaAddress, Resolution } from './endpoint-resolver.ts';
import type { Probe } from './health-probe.ts';
import { isSaturated, type LoadProbe } from './replica-load.ts';
import { HeldQueue } from './held-queue.ts';
import type { RoutingReason } from './prefix-affinity.ts';
import { DEFAULT_BLOCKS_PER_REPLICA, PrefixIndex } from './prefix-index.ts';
import { heldQueueFull, holdTimedOut, modelServerGone, routerClosed } from './routing-errors.ts';
import type { RoutingPolicy } from './routing-policy.ts';
import type { ScaleTrigger } from './scale-trigger.ts';
import type { SleepControl } from './sleep-control.ts';

const WAITING_POLL_MS = 100;
const TRIGGER_REPEAT_MS = 10_000;

export interface PoolSettings {
  healthIntervalMs: number;
  /** How long a replica that failed a request is skipped. */
  unhealthyMs: number;
  /** The longest a request is held for a first ready replica. */
  holdTimeoutMs: number;
  /** Requests held at most at once; more get a 503 with Retry-After. */
  queueMax: number;
  /** Session and prefix affinity's load bound (see load-bound.ts). */
  loadFactor: number;
  /** Prefix routing: prompt blocks remembered per replica (PrefixIndex); DEFAULT_BLOCKS_PER_REPLICA when absent. */
  prefixBlocksPerReplica?: number;
}

export interface PoolHooks {
  /** Held requests for a model went up or down by one. */
  held(model: string, delta: 1 | -1): void;
  /** A held request got a replica after this long. */
  waited(model: string, ms: number): void;
  /** The pool asked for a first replica. */
  scaleRequested(modelServer: string): void;
  /** A replica was chosen for a request, under this policy, for this reason. */
  decided(model: string, policy: RoutingPolicy, reason: RoutingReason): void;
  /** The pool asked a sleeping replica to wake, and how that ended. */
  woke(modelServer: string, outcome: 'woken' | 'failed'): void;
}

export interface PoolDeps {
  server: ModelServerRef;
  resolver: EndpointResolver;
  probe: Probe;
  /** Reads a ready replica's queue and KV-cache use once per health interval; none: in-flight counts only. */
  loadProbe?: LoadProbe;
  trigger: ScaleTrigger;
  /** Present when the ModelServer keeps replicas asleep (autoscaling.standby). */
  sleep?: SleepControl | undefined;
  settings: PoolSettings;
  log: Logger;
  hooks?: Partial<PoolHooks>;
  random?: () => number;
}

export interface AcquireRequest {
  /** The client's model name, for messages and metrics. */
  model: string;
  policy: RoutingPolicy;
  /** The conversation id, for session affinity. */
  key: string | undefined;
  /** Prefix routing: the prompt's chained block hashes (prefix-blocks.ts); absent or empty without a prompt. */
  blocks?: readonly number[] | undefined;
  /** Replicas already tried for this request. */
  exclude: ReadonlySet<string>;
  signal: AbortSignal | undefined;
  /** Whether to hold the request when no replica can take it (else: undefined). */
  hold: boolean;
  /** Called once, when the request starts being held. */
  onHold?: () => void;
}

export interface Lease {
  replica: ReplicaAddress;
  /** How long the request was held for a ready replica (0: it was not). */
  heldMs: number;
  /** Ends the request's claim on the replica (idempotent). */
  release: () => void;
}

interface ReplicaState extends Candidate {
  address: ReplicaAddress;
  ready: boolean;
  unhealthyUntil: number;
  saturated: boolean;
  /** When its load was last read (0: never). */
  loadReadAt: number;
  /** It said it sleeps (standby): ready, but not to be chosen until woken. */
  asleep: boolean;
  /** A wake-up is on its way to it. */
  waking: boolean;
}

interface Waiter {
  wake(): void;
}

export interface PoolSnapshot {
  state: 'unknown' | 'present' | 'absent';
  held: number;
  /** Replicas a request can be sent to now (ready, and not skipped after a failure). */
  eligible: number;
  replicas: { id: string; ready: boolean; inFlight: number; unhealthy: boolean; asleep: boolean }[];
}

function noop(): void {
  // A waiter between two waits has nothing to wake.
}

export class ReplicaPool {
  readonly #deps: PoolDeps;
  readonly #replicas = new Map<string, ReplicaState>();
  readonly #queue: HeldQueue<Waiter>;
  readonly #stop = new AbortController();
  readonly #log: Logger;
  readonly #prefixes: PrefixIndex;
  #state: PoolSnapshot['state'] = 'unknown';
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #again = false;
  #lastTrigger: number | undefined;
  #resolveFailing = false;
  /** False once the gateway drains: a held request would only be cut off at the end of the grace period. */
  #holding = true;

  constructor(deps: PoolDeps) {
    this.#deps = deps;
    this.#queue = new HeldQueue(deps.settings.queueMax);
    this.#prefixes = new PrefixIndex(deps.settings.prefixBlocksPerReplica ?? DEFAULT_BLOCKS_PER_REPLICA);
    this.#log = deps.log.child({ modelServer: deps.server.name });
  }

  get name(): string {
    return this.#deps.server.name;
  }

  /** Starts polling; the first round runs at once. */
  start(): void {
    void this.#tick();
  }

  /**
   * The gateway is draining: held requests get a 503 (retry: another gateway replica takes it) at
   * once, and none is held from now on. Ready replicas still serve.
   */
  stopHolding(): void {
    this.#holding = false;
    this.#wakeAll();
  }

  /** Stops polling; held requests get a 503 at once. */
  close(): void {
    this.#stop.abort();
    clearTimeout(this.#timer);
    this.#wakeAll();
  }

  /** Runs a discovery and health round now and resolves when it is done (tests and start-up). */
  async refresh(): Promise<void> {
    await this.#tick();
  }

  snapshot(): PoolSnapshot {
    const now = Date.now();
    return {
      state: this.#state,
      held: this.#queue.size,
      eligible: this.#eligible().length,
      replicas: [...this.#replicas.values()].map((r) => ({
        id: r.id,
        ready: r.ready,
        inFlight: r.inFlight,
        unhealthy: r.unhealthyUntil > now,
        asleep: r.asleep,
      })),
    };
  }

  /** A ready replica for the request, after holding it if none is ready and `hold` is set. */
  async acquire(request: AcquireRequest): Promise<Lease | undefined> {
    const lease = this.#tryLease(request);
    if (lease || !request.hold) return lease;
    if (!this.#holding) throw routerClosed(request.model);
    return this.#hold(request);
  }

  /** The replica failed before answering: skip it for a while (a Service stand-in never is). */
  markFailed(replicaId: string): void {
    const replica = this.#replicas.get(replicaId);
    if (replica?.address.kind !== 'pod') return;
    replica.unhealthyUntil = Date.now() + this.#deps.settings.unhealthyMs;
    this.#log.warn({ replica: replicaId, skipMs: this.#deps.settings.unhealthyMs }, 'Replica failed before answering; routing around it');
  }

  #tryLease(request: AcquireRequest): Lease | undefined {
    if (this.#stop.signal.aborted) throw routerClosed(request.model);
    if (this.#state === 'absent') throw modelServerGone(request.model, this.name);
    const candidates = this.#eligible().filter((r) => !request.exclude.has(r.id));
    const blocks = request.blocks && request.blocks.length > 0 ? request.blocks : undefined;
    const decision = chooseReplica(candidates, {
      policy: request.policy,
      key: request.key,
      matched: blocks && ((replica) => this.#prefixes.matched(replica.id, blocks)),
      loadFactor: this.#deps.settings.loadFactor,
      random: this.#deps.random ?? Math.random,
    });
    if (!decision) return undefined;
    // Whatever chose it, the replica is about to prefill this prompt: later requests sharing its
    // prefix should find it there.
    if (blocks) this.#prefixes.record(decision.candidate.id, blocks);
    this.#deps.hooks?.decided?.(request.model, request.policy, decision.reason);
    return lease(decision.candidate);
  }

  #eligible(): ReplicaState[] {
    const now = Date.now();
    return [...this.#replicas.values()].filter((r) => r.ready && !r.asleep && r.unhealthyUntil <= now);
  }

  /**
   * A replica failed before answering: was it put to sleep since the last round? (A sleeping vLLM
   * does not serve: a 503 as documented.) If so it is marked asleep, not failed, and woken like any sleeper.
   */
  async fellAsleep(replicaId: string): Promise<boolean> {
    const replica = this.#replicas.get(replicaId);
    if (!this.#deps.sleep || replica?.address.kind !== 'pod') return false;
    const asleep = (await this.#deps.sleep.isSleeping(replica.address, this.#stop.signal)) === true;
    if (asleep) replica.asleep = true;
    return asleep;
  }

  async #hold(request: AcquireRequest): Promise<Lease> {
    const waiter: Waiter = { wake: noop };
    if (!this.#queue.add(waiter)) throw heldQueueFull(request.model, this.#queue.capacity);
    const started = Date.now();
    const deadline = started + this.#deps.settings.holdTimeoutMs;
    this.#deps.hooks?.held?.(request.model, 1);
    try {
      request.onHold?.();
      this.#askForReplica();
      this.#kick();
      for (;;) {
        await this.#sleep(waiter, deadline, request);
        const lease = this.#tryLease(request);
        if (lease) {
          lease.heldMs = Date.now() - started;
          this.#deps.hooks?.waited?.(request.model, lease.heldMs);
          return lease;
        }
        if (!this.#holding) throw routerClosed(request.model);
      }
    } finally {
      this.#queue.remove(waiter);
      this.#deps.hooks?.held?.(request.model, -1);
    }
  }

  /** Resolves when woken; rejects when the wait is over or the client has gone. */
  async #sleep(waiter: Waiter, deadline: number, request: AcquireRequest): Promise<void> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw holdTimedOut(request.model, this.#deps.settings.holdTimeoutMs);
    if (request.signal?.aborted) throw clientClosed();
    const { promise, resolve, reject } = Promise.withResolvers<undefined>();
    const timer = setTimeout(() => {
      reject(holdTimedOut(request.model, this.#deps.settings.holdTimeoutMs));
    }, remaining);
    const onAbort = (): void => {
      reject(clientClosed());
    };
    request.signal?.addEventListener('abort', onAbort, { once: true });
    waiter.wake = () => {
      resolve(undefined);
    };
    try {
      await promise;
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      waiter.wake = noop;
    }
  }

  #wakeAll(): void {
    for (const waiter of this.#queue.items()) waiter.wake();
  }

  /** A poll round now, or right after the one running. */
  #kick(): void {
    clearTimeout(this.#timer);
    void this.#tick();
  }

  /** Runs poll rounds until none was asked for meanwhile; callers during a round share it. */
  #tick(): Promise<void> {
    if (this.#stop.signal.aborted) return Promise.resolve();
    if (this.#current) {
      this.#again = true;
      return this.#current;
    }
    this.#current = this.#rounds().finally(() => {
      this.#current = undefined;
      this.#schedule();
    });
    return this.#current;
  }

  async #rounds(): Promise<void> {
    do {
      this.#again = false;
      await this.#round();
    } while (this.#askedAgain());
  }

  /** Whether a round was asked for while the last one ran (a method: the flag changes across awaits). */
  #askedAgain(): boolean {
    return this.#again && !this.#stop.signal.aborted;
  }

  #schedule(): void {
    if (this.#stop.signal.aborted) return;
    clearTimeout(this.#timer);
    const interval = this.#deps.settings.healthIntervalMs;
    this.#timer = setTimeout(() => void this.#tick(), this.#queue.size > 0 ? Math.min(WAITING_POLL_MS, interval) : interval);
    this.#timer.unref();
  }

  async #round(): Promise<void> {
    await this.#discover();
    if (this.#state !== 'absent') await this.#probeAll();
    if (this.#state === 'absent' || this.#eligible().length > 0) {
      // Held requests take a replica, or learn that the ModelServer is gone.
      if (this.#state === 'present') this.#lastTrigger = undefined;
      this.#wakeAll();
    } else {
      this.#askForReplica();
    }
  }

  async #discover(): Promise<void> {
    let resolution: Resolution;
    try {
      resolution = await this.#deps.resolver.resolve(this.#deps.server);
    } catch (err) {
      if (!this.#resolveFailing)
        this.#log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          "Cannot list the ModelServer's replicas; keeping the last known list",
        );
      this.#resolveFailing = true;
      return;
    }
    this.#resolveFailing = false;
    if (resolution.state === 'absent') {
      if (this.#state !== 'absent') this.#log.warn('ModelServer no longer exists; requests for it are refused');
      this.#state = 'absent';
      this.#replicas.clear();
      return;
    }
    if (this.#state === 'absent') this.#log.info('ModelServer exists again');
    this.#state = 'present';
    this.#update(resolution.replicas);
  }

  #update(addresses: readonly ReplicaAddress[]): void {
    const listed = new Set(addresses.map((a) => a.id));
    for (const id of this.#replicas.keys()) {
      if (listed.has(id)) continue;
      this.#replicas.delete(id);
      this.#prefixes.forget(id);
    }
    for (const address of addresses) {
      if (!this.#replicas.has(address.id))
        this.#replicas.set(address.id, {
          id: address.id,
          address,
          inFlight: 0,
          ready: false,
          unhealthyUntil: 0,
          saturated: false,
          loadReadAt: 0,
          asleep: false,
          waking: false,
        });
    }
  }

  async #probeAll(): Promise<void> {
    await Promise.all(
      [...this.#replicas.values()].map(async (replica) => {
        const ready = await this.#deps.probe(replica.address, this.#stop.signal);
        if (ready !== replica.ready) this.#log.info({ replica: replica.id, ready }, ready ? 'Replica ready' : 'Replica not ready');
        replica.ready = ready;
        await Promise.all([this.#readLoad(replica), this.#readSleep(replica)]);
      }),
    );
  }

  /**
   * A ready pod's queue and KV-cache use, at most once per health interval (rounds run every 100 ms
   * while requests are held). A Service stand-in is never read: its metrics would be one random pod's.
   */
  async #readLoad(replica: ReplicaState): Promise<void> {
    const probe = this.#deps.loadProbe;
    if (!probe || !replica.ready || replica.address.kind !== 'pod') {
      replica.saturated = false;
      return;
    }
    const now = Date.now();
    if (now - replica.loadReadAt < this.#deps.settings.healthIntervalMs) return;
    replica.loadReadAt = now;
    const saturated = isSaturated(await probe(replica.address, this.#stop.signal));
    if (saturated !== replica.saturated)
      this.#log.info(
        { replica: replica.id, saturated },
        saturated ? 'Replica reports a full queue or KV cache' : 'Replica no longer saturated',
      );
    replica.saturated = saturated;
  }

  /** Standby: whether a ready pod sleeps, read every round (a wake-up under way is not asked: it would still say yes). */
  async #readSleep(replica: ReplicaState): Promise<void> {
    const sleep = this.#deps.sleep;
    if (!sleep || replica.waking) return;
    const asleep = replica.ready && replica.address.kind === 'pod' && (await sleep.isSleeping(replica.address, this.#stop.signal)) === true;
    if (asleep !== replica.asleep) this.#log.info({ replica: replica.id, asleep }, asleep ? 'Replica asleep' : 'Replica awake');
    replica.asleep = asleep;
  }

  /** Requests wait and no replica can serve them: wake the sleeping ones, or else ask for a first replica. */
  #askForReplica(): void {
    if (this.#state !== 'present' || this.#queue.size === 0 || this.#eligible().length > 0) return;
    const now = Date.now();
    const sleepers = [...this.#replicas.values()].filter((r) => r.ready && r.asleep && !r.waking && r.unhealthyUntil <= now);
    for (const replica of sleepers) this.#wake(replica);
    if (sleepers.length > 0 || [...this.#replicas.values()].some((r) => r.waking)) return;
    this.#maybeTrigger(now);
  }

  #wake(replica: ReplicaState): void {
    const sleep = this.#deps.sleep;
    if (!sleep) return;
    replica.waking = true;
    this.#log.info({ replica: replica.id }, 'Waking a sleeping replica for waiting requests');
    void sleep.wake(replica.address, this.#stop.signal).then((woken) => {
      replica.waking = false;
      // It answered once awake; the next round reads /is_sleeping again all the same.
      if (woken) replica.asleep = false;
      else {
        // Skipped for a while, so a replica that refuses at once is not asked every 100 ms.
        replica.unhealthyUntil = Date.now() + this.#deps.settings.unhealthyMs;
        this.#log.warn(
          { replica: replica.id, skipMs: this.#deps.settings.unhealthyMs },
          'A sleeping replica did not wake; asking again later',
        );
      }
      this.#deps.hooks?.woke?.(this.name, woken ? 'woken' : 'failed');
      this.#kick();
    });
  }

  /** Asks for a first replica (at most every 10 s). */
  #maybeTrigger(now: number): void {
    if (this.#lastTrigger !== undefined && now - this.#lastTrigger < TRIGGER_REPEAT_MS) return;
    this.#lastTrigger = now;
    this.#deps.hooks?.scaleRequested?.(this.name);
    void this.#deps.trigger.scaleFromZero(this.name);
  }
}

function lease(replica: ReplicaState): Lease {
  replica.inFlight++;
  let released = false;
  return {
    replica: replica.address,
    heldMs: 0,
    release: () => {
      if (released) return;
      released = true;
      replica.inFlight--;
    },
  };
}
