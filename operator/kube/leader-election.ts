// Lease-based leader election with client-go's semantics: a lease is taken over only after its
// holder has not renewed it for leaseDuration *as observed locally* (no trust in remote clocks),
// the leader renews every retryPeriod and steps down if it cannot renew within renewDeadline.
// Every attempt has a deadline of its own: a renewal that hangs (a half-open connection, a
// partition that drops packets) must not keep the leader waiting past renewDeadline, or a standby
// would take the lease after leaseDuration while the old leader still reconciles.
import {
  Observable,
  type ConfigurationOptions,
  type CoordinationV1Api,
  type RequestContext,
  type ResponseContext,
  type V1Lease,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isApiError } from './writer.ts';
import { errorMessage } from '../utils.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/**
 * The API server parses Lease times as MicroTime, which needs exactly six fractional digits;
 * client-node would send Date#toISOString()'s three and get a 400. A string passes through as is.
 */
export function microTime(date: Date): Date {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}

/** A time read back from the server (string or Date, depending on the client) in MicroTime form. */
function asMicroTime(value: Date | string): Date {
  return value instanceof Date ? microTime(value) : (value as unknown as Date);
}

/** The Lease calls leader election makes (a fake in tests). */
export type LeaseApi = Pick<CoordinationV1Api, 'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'>;

class AttemptTimedOut extends Error {
  constructor(ms: number) {
    super(`no answer from the API server within ${String(ms)} ms`);
  }
}

/** Client options that abort a request when `signal` fires (client-node passes it on to fetch). */
function abortingOn(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (request: RequestContext) => {
          request.setSignal(signal);
          return new Observable(Promise.resolve(request));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/**
 * Runs `attempt` for at most `ms`: then its requests are aborted and it counts as failed, whether
 * or not the client honours the abort (the race stops the wait either way).
 */
async function withDeadline<T>(ms: number, attempt: (options: ConfigurationOptions) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new AttemptTimedOut(ms));
    }, ms);
  });
  try {
    return await Promise.race([attempt(abortingOn(controller.signal)), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export class LeaderElector {
  private observedHolder: string | undefined;
  private observedRenewTime: string | undefined;
  private observedAt = 0;
  private stopped = false;
  private readonly api: LeaseApi;
  private readonly options: LeaderElectionOptions;
  private readonly log: Logger;

  constructor(api: LeaseApi, options: LeaderElectionOptions, log: Logger) {
    this.api = api;
    this.options = options;
    this.log = log;
  }

  /** Resolves once this process holds the lease. */
  async acquire(): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error('leader election stopped');
      if (await this.tryAcquireOrRenew(this.options.renewDeadlineMs)) {
        this.log.info({ lease: this.options.name, identity: this.options.identity }, 'Became leader');
        return;
      }
      await sleep(this.options.retryPeriodMs);
    }
  }

  /**
   * Renews until no renewal succeeds within renewDeadline of the last one; resolves when leadership
   * is lost (the caller then stops reconciling). Each attempt may take only what is left of that
   * deadline, so a call that never answers cannot hold the leader past it.
   */
  async holdUntilLost(): Promise<void> {
    let deadline = Date.now() + this.options.renewDeadlineMs;
    while (!this.stopped) {
      await sleep(Math.min(this.options.retryPeriodMs, Math.max(0, deadline - Date.now())));
      if (this.isStopped()) return;
      const left = deadline - Date.now();
      if (left > 0 && (await this.tryAcquireOrRenew(left))) deadline = Date.now() + this.options.renewDeadlineMs;
      else if (Date.now() >= deadline) {
        this.log.error(
          { lease: this.options.name, renewDeadlineMs: this.options.renewDeadlineMs },
          'Lost leadership: could not renew the lease within the renew deadline',
        );
        return;
      }
    }
  }

  /** A method, not the field: release() may flip it while we sleep. */
  private isStopped(): boolean {
    return this.stopped;
  }

  /** Gives the lease up so a standby can take over at once (graceful shutdown). */
  async release(): Promise<void> {
    this.stopped = true;
    const { name, namespace, identity } = this.options;
    try {
      // Bounded like every other call: a shutdown must not hang on an API server that does not answer.
      await withDeadline(this.options.renewDeadlineMs, async (options) => {
        const lease = await this.api.readNamespacedLease({ name, namespace }, options);
        if (lease.spec?.holderIdentity !== identity) return;
        lease.spec = { leaseDurationSeconds: 1, renewTime: microTime(new Date()), leaseTransitions: lease.spec.leaseTransitions };
        await this.api.replaceNamespacedLease({ name, namespace, body: lease }, options);
      });
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'Could not release the lease');
    }
  }

  /** One read-then-write of the lease, given at most `timeoutMs`; false when it failed or took longer. */
  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    try {
      return await withDeadline(timeoutMs, (options) => this.acquireOrRenew(options));
    } catch (err) {
      if (!isApiError(err, 409)) this.log.warn({ err: errorMessage(err) }, 'Leader election attempt failed');
      return false;
    }
  }

  private async acquireOrRenew(options: ConfigurationOptions): Promise<boolean> {
    const { name, namespace, identity } = this.options;
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace }, options);
    } catch (err) {
      if (!isApiError(err, 404)) throw err;
      await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: this.spec(0) } }, options);
      return true;
    }
    this.observe(lease);
    const holder = lease.spec?.holderIdentity;
    const expired = Date.now() > this.observedAt + this.options.leaseDurationMs;
    if (holder && holder !== identity && !expired) return false;
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    const acquireTime = holder === identity ? lease.spec?.acquireTime : undefined;
    lease.spec = { ...this.spec(transitions), ...(acquireTime ? { acquireTime: asMicroTime(acquireTime) } : {}) };
    // replace carries the resourceVersion we read: a concurrent winner makes this a 409.
    await this.api.replaceNamespacedLease({ name, namespace, body: lease }, options);
    return true;
  }

  private spec(transitions: number): V1Lease['spec'] {
    const now = microTime(new Date());
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: transitions,
    };
  }

  /** Remembers when we last saw the lease change: expiry is measured from there, on our clock. */
  private observe(lease: V1Lease): void {
    const holder = lease.spec?.holderIdentity ?? undefined;
    const renew = String(lease.spec?.renewTime ?? '');
    if (holder !== this.observedHolder || renew !== this.observedRenewTime) {
      this.observedHolder = holder;
      this.observedRenewTime = renew;
      this.observedAt = Date.now();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
