// Lease-based leader election with client-go's semantics: a lease is taken over only after its
// holder has not renewed it for leaseDuration *as observed locally* (no trust in remote clocks),
// the leader renews every retryPeriod and steps down if it cannot renew within renewDeadline.
import type { CoordinationV1Api, V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { errorMessage } from './informer.ts';
import { isApiError } from './writer.ts';

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

export class LeaderElector {
  private observedHolder: string | undefined;
  private observedRenewTime: string | undefined;
  private observedAt = 0;
  private stopped = false;
  private readonly api: CoordinationV1Api;
  private readonly options: LeaderElectionOptions;
  private readonly log: Logger;

  constructor(api: CoordinationV1Api, options: LeaderElectionOptions, log: Logger) {
    this.api = api;
    this.options = options;
    this.log = log;
  }

  /** Resolves once this process holds the lease. */
  async acquire(): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error('leader election stopped');
      if (await this.tryAcquireOrRenew()) {
        this.log.info({ lease: this.options.name, identity: this.options.identity }, 'Became leader');
        return;
      }
      await sleep(this.options.retryPeriodMs);
    }
  }

  /** Renews until a renewal fails for renewDeadline; resolves when leadership is lost. */
  async holdUntilLost(): Promise<void> {
    let lastRenew = Date.now();
    while (!this.stopped) {
      await sleep(this.options.retryPeriodMs);
      if (this.isStopped()) return;
      if (await this.tryAcquireOrRenew()) lastRenew = Date.now();
      else if (Date.now() - lastRenew > this.options.renewDeadlineMs) {
        this.log.error({ lease: this.options.name }, 'Lost leadership');
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
    try {
      const lease = await this.api.readNamespacedLease({ name: this.options.name, namespace: this.options.namespace });
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      lease.spec = { leaseDurationSeconds: 1, renewTime: microTime(new Date()), leaseTransitions: lease.spec.leaseTransitions };
      await this.api.replaceNamespacedLease({ name: this.options.name, namespace: this.options.namespace, body: lease });
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'Could not release the lease');
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity } = this.options;
    try {
      let lease: V1Lease;
      try {
        lease = await this.api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (!isApiError(err, 404)) throw err;
        await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: this.spec(0) } });
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
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      return true;
    } catch (err) {
      if (!isApiError(err, 409)) this.log.warn({ err: errorMessage(err) }, 'Leader election attempt failed');
      return false;
    }
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
