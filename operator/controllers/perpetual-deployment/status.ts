// A PerpetualDeployment's status, computed purely from the spec and what was observed.
// Each component gets a condition; Ready is their conjunction; Stalled means a human must act.
// A component whose pods the kubelet cannot start or that keep failing says so with the kubelet's
// reason (ImagePullBackOff, CrashLoopBackOff, ...) and the first failing pod's sentence.
import type { V1Deployment, V1Job } from '@kubernetes/client-node';
import {
  ComponentReasons as CR,
  ModelServerConditions,
  NotStalledReason,
  PerpetualDeploymentConditions as C,
  ReadyReasons,
  ReconcilingReasons,
  SecretPurposes as P,
  StalledReasons as R,
  type SecretPurpose,
} from '../../api/v1alpha1/conditions.ts';
import type { Phase } from '../../api/v1alpha1/common.ts';
import type { PerpetualDeployment, PerpetualDeploymentStatus } from '../../api/v1alpha1/perpetual-deployment.ts';
import { clipSentence, condition, isTrue, withTransitionTimes, type ConditionInput } from '../conditions.ts';
import { modelServerEndpoint } from '../model-server/names.ts';
import { describePodFailures, podFailures, withPodFailures, workloadFailure } from '../pod-failure.ts';
import { redactUrl } from '../redact-url.ts';
import { gatewayUrl } from './desired.ts';
import { childNames } from './names.ts';
import type { PerpetualDeploymentObserved, SecretProblem } from './observe.ts';

function describeProblem(p: SecretProblem): string {
  return p.reason === R.SecretNotFound
    ? `Secret "${p.name}" (${p.purpose}) not found.`
    : `Secret "${p.name}" (${p.purpose}) has no key "${p.key}".`;
}

/** Components named by purpose; every purpose not listed here is the gateway's (admin token, JWT, billing). */
const PURPOSES_WITH_THEIR_OWN_CONDITION: readonly SecretPurpose[] = [P.Database, P.VectorStore, P.Cache, P.Models];

/** The component a condition covers: one with its own purpose, or the gateway (every other purpose). */
type Component = SecretPurpose | 'gateway';

function isPurpose(purpose: SecretPurpose, wanted: Component): boolean {
  return wanted === 'gateway' ? !PURPOSES_WITH_THEIR_OWN_CONDITION.includes(purpose) : purpose === wanted;
}

/**
 * `ok`, unless something blocks the component of `purpose`: an invalid spec value or a Secret that
 * is not ours first (nothing was applied), then a missing Secret (what a pod's
 * CreateContainerConfigError would be about). The first one's reason, every one's sentence.
 */
function blockedCondition(type: string, purpose: Component, o: PerpetualDeploymentObserved, ok: ConditionInput): ConditionInput {
  const blockers = [
    ...o.blockers.filter((b) => isPurpose(b.purpose, purpose)),
    ...o.secretProblems.filter((p) => isPurpose(p.purpose, purpose)).map((p) => ({ reason: p.reason, message: describeProblem(p) })),
  ];
  const first = blockers[0];
  return first ? condition(type, false, first.reason, blockers.map((b) => b.message).join(' ')) : ok;
}

function jobState(job: V1Job | undefined): 'missing' | 'running' | 'complete' | 'failed' {
  if (!job) return 'missing';
  if (job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) return 'complete';
  if (job.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')) return 'failed';
  return 'running';
}

/**
 * A failed Job keeps MigrationFailed (Stalled: the Job will not run again) and names an OOMKilled
 * pod in its message; a running one says why its pod cannot start or keeps failing.
 */
function databaseCondition(o: PerpetualDeploymentObserved): ConditionInput {
  const state = jobState(o.migration);
  const failures = podFailures(o.pods.migration);
  const job = o.migration?.metadata?.name ?? '';
  const byState: Record<typeof state, ConditionInput> = {
    complete: condition(C.DatabaseReady, true, CR.Migrated, 'The database is reachable and migrated.'),
    failed: condition(
      C.DatabaseReady,
      false,
      R.MigrationFailed,
      `Migration Job "${job}" failed; ${failures ? `${describePodFailures(failures)} See` : 'see'} its pod logs (kubectl logs job/${job}).`,
    ),
    running: withPodFailures(condition(C.DatabaseReady, false, CR.Migrating, 'The migration Job is running.'), failures),
    missing: condition(C.DatabaseReady, false, CR.Migrating, 'The migration Job is being created.'),
  };
  return blockedCondition(C.DatabaseReady, P.Database, o, byState[state]);
}

function replicasReady(ready: number | undefined, wanted: number): boolean {
  return (ready ?? 0) >= wanted && wanted > 0;
}

function vectorStoreCondition(pd: PerpetualDeployment, o: PerpetualDeploymentObserved): ConditionInput {
  const vs = pd.spec.vectorStore;
  // The URL as written may carry a password (https://user:password@...): never in status or events.
  if (vs.type === 'external')
    return blockedCondition(
      C.VectorStoreReady,
      P.VectorStore,
      o,
      condition(C.VectorStoreReady, true, CR.External, `Using the external Qdrant at ${redactUrl(vs.external?.url ?? '')}.`),
    );
  const ok = replicasReady(o.qdrant?.status?.readyReplicas, vs.managed.replicas);
  return blockedCondition(
    C.VectorStoreReady,
    P.VectorStore,
    o,
    withPodFailures(
      condition(
        C.VectorStoreReady,
        ok,
        ok ? CR.ReplicasReady : CR.ReplicasNotReady,
        `${String(o.qdrant?.status?.readyReplicas ?? 0)} of ${String(vs.managed.replicas)} Qdrant replicas ready.`,
      ),
      podFailures(o.pods.qdrant),
    ),
  );
}

function cacheCondition(pd: PerpetualDeployment, o: PerpetualDeploymentObserved): ConditionInput {
  const cache = pd.spec.cache;
  if (cache.type === 'external')
    return blockedCondition(C.CacheReady, P.Cache, o, condition(C.CacheReady, true, CR.External, 'Using the external Redis.'));
  const ok = replicasReady(o.redis?.status?.readyReplicas, 1);
  return blockedCondition(
    C.CacheReady,
    P.Cache,
    o,
    withPodFailures(
      condition(C.CacheReady, ok, ok ? CR.ReplicasReady : CR.ReplicasNotReady, ok ? 'Redis is ready.' : 'Redis is not ready yet.'),
      podFailures(o.pods.redis) ?? workloadFailure(o.redis),
    ),
  );
}

function gatewayCounts(gateway: V1Deployment | undefined): { desired: number; ready: number; updated: number } {
  return {
    desired: gateway?.spec?.replicas ?? 0,
    ready: gateway?.status?.readyReplicas ?? 0,
    updated: gateway?.status?.updatedReplicas ?? 0,
  };
}

function gatewayCondition(o: PerpetualDeploymentObserved): ConditionInput {
  const g = gatewayCounts(o.gateway);
  const ok = g.desired > 0 && g.ready >= g.desired && g.updated >= g.desired;
  return blockedCondition(
    C.GatewayReady,
    'gateway',
    o,
    withPodFailures(
      condition(
        C.GatewayReady,
        ok,
        ok ? CR.ReplicasReady : CR.ReplicasNotReady,
        `${String(g.ready)} of ${String(g.desired)} gateway pods ready.`,
      ),
      podFailures(o.pods.gateway) ?? workloadFailure(o.gateway),
    ),
  );
}

function modelStatuses(pd: PerpetualDeployment, o: PerpetualDeploymentObserved): NonNullable<PerpetualDeploymentStatus['models']> {
  const namespace = pd.metadata?.namespace ?? '';
  return [...pd.spec.models]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => {
      if (!m.modelServerRef) return { name: m.name, ready: true, endpoint: m.baseURL ? redactUrl(m.baseURL) : (m.provider ?? '') };
      const server = o.modelServers.get(m.modelServerRef.name);
      const endpoint = modelServerEndpoint(m.modelServerRef.name, namespace);
      if (!server) return { name: m.name, ready: false, endpoint, message: `ModelServer "${m.modelServerRef.name}" not found.` };
      const ready = isTrue(server.status?.conditions, ModelServerConditions.Ready);
      return {
        name: m.name,
        ready,
        endpoint,
        ...(ready
          ? {}
          : { message: clipSentence(`ModelServer "${m.modelServerRef.name}": ${server.status?.phaseReason ?? 'not ready yet.'}`) }),
      };
    });
}

function modelsCondition(models: NonNullable<PerpetualDeploymentStatus['models']>, o: PerpetualDeploymentObserved): ConditionInput {
  return blockedCondition(C.ModelsReady, P.Models, o, modelsReadiness(models, o));
}

function modelsReadiness(models: NonNullable<PerpetualDeploymentStatus['models']>, o: PerpetualDeploymentObserved): ConditionInput {
  const missing = [...o.modelServers].filter(([, server]) => !server).map(([name]) => name);
  if (missing.length > 0)
    return condition(C.ModelsReady, false, CR.ModelServerNotFound, `ModelServer ${missing.map((n) => `"${n}"`).join(', ')} not found.`);
  const notReady = models.filter((m) => !m.ready);
  if (notReady.length > 0)
    return condition(C.ModelsReady, false, CR.ModelServerNotReady, notReady.map((m) => m.message ?? m.name).join(' '));
  return condition(C.ModelsReady, true, CR.AllModelsReady, `${String(models.length)} of ${String(models.length)} models ready.`);
}

const STALLED_REASONS: ReadonlySet<string> = new Set<string>(Object.values(R));

/** Needs a human: an invalid spec, a missing or foreign Secret, a failed migration will not fix themselves. */
function stalledCondition(components: ConditionInput[]): ConditionInput {
  const stuck = components.find((c) => c.status === 'False' && STALLED_REASONS.has(c.reason));
  return stuck
    ? condition(C.Stalled, true, stuck.reason, stuck.message)
    : condition(C.Stalled, false, NotStalledReason, 'Nothing needs manual action.');
}

/**
 * Degraded means "was working, now partly broken": only a stack that reached Ready before can be
 * Degraded. A stack still coming up is Progressing, however many parts are already there. A pod
 * the kubelet cannot start (ImagePullBackOff, CrashLoopBackOff, ...) does not make the stack
 * Stalled or Failed: an image may yet be pushed, a crash may be a dependency still starting. Its
 * component's condition and the phase reason name it, with the kubelet's reason and message.
 */
function phaseOf(components: ConditionInput[], stalled: ConditionInput, wasReady: boolean): { phase: Phase; reason: string } {
  const failing = components.filter((c) => c.status !== 'True');
  if (failing.length === 0) return { phase: 'Ready', reason: 'All components are ready.' };
  if (stalled.status === 'True') return { phase: 'Failed', reason: clipSentence(stalled.message) };
  const first = failing[0];
  return { phase: wasReady ? 'Degraded' : 'Progressing', reason: clipSentence(`${first?.type ?? ''}: ${first?.message ?? ''}`) };
}

export function computePerpetualDeploymentStatus(
  pd: PerpetualDeployment,
  o: PerpetualDeploymentObserved,
  now: Date,
): PerpetualDeploymentStatus {
  const models = modelStatuses(pd, o);
  const components = [
    databaseCondition(o),
    vectorStoreCondition(pd, o),
    cacheCondition(pd, o),
    gatewayCondition(o),
    modelsCondition(models, o),
  ];
  const stalled = stalledCondition(components);
  const ready = components.every((c) => c.status === 'True');
  const g = gatewayCounts(o.gateway);
  const wasReady = pd.status?.phase === 'Ready' || pd.status?.phase === 'Degraded';
  const { phase, reason } = phaseOf(components, stalled, wasReady);
  const inputs = [
    condition(C.Ready, ready, ready ? ReadyReasons.AllComponentsReady : ReadyReasons.ComponentsNotReady, reason),
    ...components,
    condition(
      C.Reconciling,
      !ready && stalled.status !== 'True',
      ready ? ReconcilingReasons.Reconciled : ReconcilingReasons.Progressing,
      ready ? 'Nothing to do.' : reason,
    ),
    stalled,
  ];
  const generation = pd.metadata?.generation ?? 0;
  return {
    observedGeneration: generation,
    phase,
    phaseReason: reason,
    conditions: withTransitionTimes(pd.status?.conditions, inputs, now, generation),
    gatewayReplicas: g.desired,
    gatewayReadyReplicas: g.ready,
    gatewaySummary: `${String(g.ready)}/${String(g.desired)}`,
    modelsSummary: `${String(models.filter((m) => m.ready).length)}/${String(models.length)}`,
    models,
    url: gatewayUrl(pd),
    connectionSecretName: childNames(pd.metadata?.name ?? '').connection,
  };
}
