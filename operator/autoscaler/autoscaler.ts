// The built-in autoscaler's loop: every interval, read the replicas and gateways of each ModelServer
// with `autoscaling.engine: builtin`, decide (pure, decide.ts), write the replica count through the
// ModelServer's scale subresource, put idle replicas to sleep where a standby is asked for
// (standby.ts), and hand the verdict to the reconciler, which writes the status.
// Runs only in the leader (the manager starts it), one interval at a time.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Caches } from '../kube/caches.ts';
import type { Kube } from '../kube/client.ts';
import type { EventRecorder } from '../kube/events.ts';
import { Kinds } from '../kube/resource-kinds.ts';
import type { OperatorMetrics } from '../observability/metrics.ts';
import { decide, EMPTY_MEMORY, type Decision, type DecisionResult, type ScalerMemory } from './decide.ts';
import type { EndpointResolver } from './endpoints.ts';
import { endpointsOf, observationOf, scrapeAll, type PodEndpoint, type ScrapeResult } from './scraper.ts';
import { keyOf, scaleTargets, type ScaleTarget } from './targets.ts';
import { putToSleep, sleepReadings, sleepStateRequests } from './replica-sleep.ts';
import { decideStandby, type StandbyMemory } from './standby.ts';
import type { ScaleEvent, VerdictStore } from '../scaling-verdicts.ts';
import { errorMessage } from '../utils.ts';

export interface AutoscalerDeps {
  caches: Caches;
  kube: Kube;
  resolver: EndpointResolver;
  verdicts: VerdictStore;
  /** Asks the ModelServer controller to reconcile `namespace/name` (it writes the verdict into status). */
  requestReconcile(key: string): void;
  recordEvent: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  intervalMs: number;
  now(): Date;
}

export interface Autoscaler {
  stop(): Promise<void>;
}

/** vLLM answers /sleep once the weights are off the GPU: seconds for a large model at level 1. */
const SLEEP_TIMEOUT_MS = 60_000;

/** A read slower than this would make the interval late; half the interval, at most 2 s. */
function scrapeTimeoutMs(intervalMs: number): number {
  return Math.min(2000, Math.max(100, Math.floor(intervalMs / 2)));
}

function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function writeScale(kube: Kube, target: ScaleTarget, replicas: number): Promise<void> {
  const [group = '', version = ''] = Kinds.ModelServer.apiVersion.split('/');
  await kube.customObjects.patchNamespacedCustomObjectScale(
    { group, version, namespace: target.namespace, plural: Kinds.ModelServer.plural, name: target.name, body: { spec: { replicas } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

export function startAutoscaler(deps: AutoscalerDeps): Autoscaler {
  const { log, metrics } = deps;
  const memories = new Map<string, ScalerMemory>();
  const standbyMemories = new Map<string, StandbyMemory>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  /** Writes the decision; returns what really happened (a failed write changes nothing). */
  async function act(target: ScaleTarget, decision: Decision): Promise<{ result: DecisionResult | 'write_failed'; scaled?: ScaleEvent }> {
    const key = keyOf(target.namespace, target.name);
    const from = target.currentReplicas;
    if (decision.replicas === from) {
      log.debug({ modelServer: key, decision: decision.explanation }, 'Autoscaler decision');
      return { result: decision.result };
    }
    try {
      await writeScale(deps.kube, target, decision.replicas);
    } catch (err) {
      log.error(
        { modelServer: key, err: errorMessage(err), decision: decision.explanation },
        'Could not write the scale; trying again next interval',
      );
      return { result: 'write_failed' };
    }
    metrics.writes.inc({ verb: 'scale', kind: Kinds.ModelServer.kind });
    log.info({ modelServer: key, from, to: decision.replicas }, decision.explanation);
    const regarding = { ...target.modelServer, apiVersion: Kinds.ModelServer.apiVersion, kind: Kinds.ModelServer.kind };
    await deps.recordEvent(regarding, { type: 'Normal', reason: 'Scaled', message: decision.explanation });
    return { result: decision.result, scaled: { time: timestamp(deps.now()), from, to: decision.replicas, reason: decision.explanation } };
  }

  /**
   * Standby: puts the idle replicas to sleep when their time has come; returns how many sleep now
   * (undefined without a standby). A replica that refuses stays awake and is asked again next interval.
   */
  async function sleepIdle(
    target: ScaleTarget,
    decision: Decision,
    endpoints: readonly PodEndpoint[],
    results: ReadonlyMap<string, ScrapeResult>,
  ): Promise<number | undefined> {
    const standby = target.policy.standby;
    if (!standby) return undefined;
    const key = keyOf(target.namespace, target.name);
    const readings = sleepReadings(endpoints, results);
    const verdict = decideStandby({
      policy: target.policy,
      measurement: decision.measurement,
      readings,
      currentReplicas: target.currentReplicas,
      decidedReplicas: decision.replicas,
      previous: standbyMemories.get(key) ?? {},
      nowMs: deps.now().getTime(),
    });
    const outcomes = await Promise.all(
      verdict.sleep.map(async (pod) => {
        const url = endpoints.find((e) => e.role === 'replica' && e.pod.metadata?.name === pod)?.url;
        const outcome =
          url === undefined ? { ok: false as const, message: 'no address' } : await putToSleep(url, standby.sleepLevel, SLEEP_TIMEOUT_MS);
        return outcome.ok ? undefined : `${pod}: ${outcome.message}`;
      }),
    );
    const failures = outcomes.filter((f) => f !== undefined);
    // A refusal leaves it awake (read as awake next interval, not as woken by a request) and is asked
    // again after another whole window, not every interval.
    standbyMemories.set(
      key,
      failures.length === 0 ? verdict.memory : { awake: (verdict.memory.awake ?? 0) + failures.length, idleSinceMs: deps.now().getTime() },
    );
    const asleep = readings.filter((r) => r.asleep === true).length + verdict.sleep.length - failures.length;
    const regarding = { ...target.modelServer, apiVersion: Kinds.ModelServer.apiVersion, kind: Kinds.ModelServer.kind };
    if (verdict.sleep.length > failures.length && verdict.explanation) {
      log.info({ modelServer: key, pods: verdict.sleep }, verdict.explanation);
      await deps.recordEvent(regarding, { type: 'Normal', reason: 'Slept', message: verdict.explanation });
    }
    if (failures.length > 0) {
      log.warn({ modelServer: key, failures }, 'A replica refused to sleep; asking again next interval');
      await deps.recordEvent(regarding, {
        type: 'Warning',
        reason: 'SleepFailed',
        message: `Could not put a replica to sleep: ${failures.join('; ')}`,
      });
    }
    return asleep;
  }

  async function decideOne(
    target: ScaleTarget,
    endpoints: readonly PodEndpoint[],
    results: ReadonlyMap<string, ScrapeResult>,
  ): Promise<void> {
    const key = keyOf(target.namespace, target.name);
    const decision = decide(target.policy, observationOf(target, endpoints, results), memories.get(key) ?? EMPTY_MEMORY, deps.now());
    const { result, scaled } = await act(target, decision);
    // After a failed write the count is still the old one; remembering the new one would look like someone else's scale.
    memories.set(key, result === 'write_failed' ? { ...decision.memory, lastReplicas: target.currentReplicas } : decision.memory);
    metrics.autoscalerDecisions.inc({ result });
    metrics.autoscalerDesiredReplicas.set({ namespace: target.namespace, modelserver: target.name }, decision.replicas);
    const asleep = await sleepIdle(
      target,
      result === 'write_failed' ? { ...decision, replicas: target.currentReplicas } : decision,
      endpoints,
      results,
    );
    if (deps.verdicts.update(key, decision.limit, scaled, asleep)) deps.requestReconcile(key);
  }

  function forget(current: ReadonlySet<string>): void {
    for (const key of new Set([...memories.keys(), ...deps.verdicts.keys()])) {
      if (current.has(key)) continue;
      memories.delete(key);
      standbyMemories.delete(key);
      deps.verdicts.delete(key);
      const [namespace = '', modelserver = ''] = key.split('/');
      metrics.autoscalerDesiredReplicas.remove({ namespace, modelserver });
    }
  }

  async function interval(): Promise<void> {
    const endTimer = metrics.autoscalerIntervalDuration.startTimer();
    await deps.resolver.refresh();
    const targets = scaleTargets({
      modelServers: deps.caches.list('ModelServer'),
      pods: deps.caches.list('Pod'),
      deployments: deps.caches.list('PerpetualDeployment'),
    });
    const endpoints = targets.map((t) => endpointsOf(t, deps.resolver));
    const all = endpoints.flat();
    // Standby ModelServers' replicas also say whether they sleep, read in the same round.
    const sleepStates = targets.flatMap((t, i) => (t.policy.standby ? sleepStateRequests(endpoints[i] ?? []) : []));
    const results = await scrapeAll(
      [...all.flatMap((e) => (e.url === undefined ? [] : [{ url: e.url, role: e.role }])), ...sleepStates],
      scrapeTimeoutMs(deps.intervalMs),
    );
    countScrapeErrors(all, results);
    for (const [i, target] of targets.entries()) await decideOne(target, endpoints[i] ?? [], results);
    forget(new Set(targets.map((t) => keyOf(t.namespace, t.name))));
    endTimer();
  }

  /** Once per pod, however many ModelServers it serves (a gateway pod). */
  function countScrapeErrors(endpoints: readonly PodEndpoint[], results: ReadonlyMap<string, ScrapeResult>): void {
    const seen = new Set<string>();
    for (const e of endpoints) {
      const pod = `${e.role}:${e.pod.metadata?.namespace ?? ''}/${e.pod.metadata?.name ?? ''}`;
      const result = e.url === undefined ? undefined : results.get(e.url);
      if (result?.ok || seen.has(pod)) continue;
      seen.add(pod);
      metrics.autoscalerScrapeErrors.inc({ source: e.role });
      log.debug({ pod, err: result ? result.error : (e.error ?? 'no answer') }, 'Could not read metrics');
    }
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      const started = Date.now();
      running = interval()
        .catch((err: unknown) => {
          log.error({ err: errorMessage(err) }, 'Autoscaler interval failed');
        })
        .finally(() => {
          schedule(Math.max(0, deps.intervalMs - (Date.now() - started)));
        });
    }, delayMs);
  }

  schedule(0);
  log.info({ intervalMs: deps.intervalMs }, 'Autoscaler started');
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
