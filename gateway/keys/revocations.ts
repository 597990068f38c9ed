// Invalidation across replicas: the replica that revokes an API key (or changes a provider key)
// publishes the cache key on a Redis channel; every replica evicts it from its caches within
// milliseconds. Cache keys are key hashes and "user:provider" pairs, never a secret. If Redis is
// unreachable the cache TTL still bounds the window, and after a reconnect every replica clears
// its caches, since it may have missed messages.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** A cache (a TtlCache), seen only through what invalidation needs. */
export interface Invalidatable {
  invalidate(key: string): void;
  clear(): void;
}

export class Revocations {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly caches: readonly Invalidatable[];
  private readonly log: Logger;
  private readonly channel: string;

  /** `subscriber` must be a dedicated connection: a subscribed Redis connection can do nothing else. */
  constructor(options: { publisher: Redis; subscriber: Redis; caches: readonly Invalidatable[]; log: Logger; keyPrefix: string }) {
    this.publisher = options.publisher;
    this.subscriber = options.subscriber;
    this.caches = options.caches;
    this.log = options.log;
    this.channel = `${options.keyPrefix}cache-invalidations`;
  }

  /** Subscribes in the background: ioredis queues the subscription until Redis is reachable. */
  start(): void {
    this.subscriber.on('message', (channel: string, key: string) => {
      if (channel === this.channel) for (const cache of this.caches) cache.invalidate(key);
    });
    // Any message may have been missed while disconnected.
    this.subscriber.on('ready', () => {
      for (const cache of this.caches) cache.clear();
    });
    this.subscriber.subscribe(this.channel).catch((err: unknown) => {
      this.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'Cannot subscribe to cache invalidations; relying on the cache TTL',
      );
    });
  }

  /** Evicts locally at once, then tells the other replicas. */
  async invalidate(key: string): Promise<void> {
    for (const cache of this.caches) cache.invalidate(key);
    try {
      await this.publisher.publish(this.channel, key);
    } catch (err) {
      this.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'Could not broadcast a cache invalidation; other replicas drop the entry when it expires',
      );
    }
  }
}
