// Asking for the first replica of a ModelServer that has none, as soon as a request for it arrives
// (KubeAI's ScaleAtLeastOneReplica): the operator's autoscaler also sees the demand through the
// gateway's perpetual_queued_requests, but only at its next scrape. The gateway writes replicas only
// in this one case, 0 → 1; every other scaling decision is the autoscaler's.
import type { Logger } from 'pino';

export interface ScaleTrigger {
  /** Asks for at least one replica. Resolves once asked, never waits for the replica; never rejects (failures are logged). */
  scaleFromZero(modelServer: string): Promise<void>;
}

/** Outside a cluster (and in the gateway tests): says what it would have asked for. */
export function logScaleTrigger(log: Logger): ScaleTrigger {
  return {
    scaleFromZero: (modelServer) => {
      log.info(
        { modelServer, scaleTrigger: 'log' },
        'Scale from zero requested: ModelServer has no ready replica and requests are waiting (SCALE_TRIGGER=log: not asking Kubernetes)',
      );
      return Promise.resolve();
    },
  };
}

/**
 * A trigger built on first use (the Kubernetes client takes half a second to import, which proxy
 * mode and tests never need); `warm` builds it ahead of the first request. A trigger that cannot
 * be built is reported once and replaced by the logging one, so requests are still held and served
 * when the autoscaler brings a replica up.
 */
export function lazyScaleTrigger(build: () => Promise<ScaleTrigger>, log: Logger): ScaleTrigger & { warm(): Promise<void> } {
  let built: Promise<ScaleTrigger> | undefined;
  const get = (): Promise<ScaleTrigger> =>
    (built ??= build().catch((err: unknown) => {
      log.error(
        { err: err instanceof Error ? err.message : String(err) },
        'Cannot ask Kubernetes to scale ModelServers from zero; held requests wait for the autoscaler instead',
      );
      return logScaleTrigger(log);
    }));
  return {
    scaleFromZero: async (modelServer) => {
      await (await get()).scaleFromZero(modelServer);
    },
    warm: async () => {
      await get();
    },
  };
}
