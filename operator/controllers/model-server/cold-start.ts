// How long the last replica took to start, and where the time went, from its pod alone: created
// → scheduled (waiting for a GPU), → the vLLM container running (volumes mounted and the image
// pulled), → ready (vLLM loading, or downloading and loading, the weights: /v1/models answers only
// once the model is served). The kubelet and the scheduler stamp each step; nothing here measures.
// Pure: no clock.
import type { V1Pod } from '@kubernetes/client-node';
import type { ModelServerStatus } from '../../api/v1alpha1/model-server.ts';
import { isPodReady } from '../../kube/pod-essentials.ts';

export type ColdStart = NonNullable<ModelServerStatus['lastColdStart']>;

/** The vLLM container (the operator's pods have one; a user's sidecar is not the server). */
const SERVER_CONTAINER = 'vllm';

function time(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

function transition(pod: V1Pod, type: string): number | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === type && x.status === 'True');
  return time(c?.lastTransitionTime);
}

/** Seconds between two stamps, to a tenth (the API's stamps have one-second resolution anyway). */
function seconds(from: number, to: number): number {
  return Math.max(0, Math.round((to - from) / 100) / 10);
}

/** When the vLLM container started running, if between scheduling and readiness. */
function serverStarted(pod: V1Pod, scheduled: number, ready: number): number | undefined {
  const server = pod.status?.containerStatuses?.find((s) => s.name === SERVER_CONTAINER);
  const started = time(server?.state?.running?.startedAt);
  // A container restarted since the pod became ready started after it: its time says nothing of the cold start.
  return started !== undefined && started >= scheduled && started <= ready ? started : undefined;
}

/** The breakdown of one ready pod's start, or undefined when a stamp it needs is missing. */
export function podColdStart(pod: V1Pod): ColdStart | undefined {
  if (!isPodReady(pod)) return undefined;
  const created = time(pod.metadata?.creationTimestamp);
  const scheduled = transition(pod, 'PodScheduled');
  const ready = transition(pod, 'Ready');
  if (created === undefined || scheduled === undefined || ready === undefined) return undefined;
  const startedInOrder = serverStarted(pod, scheduled, ready);
  return {
    pod: pod.metadata?.name ?? '',
    createdAt: new Date(created).toISOString().replace('.000Z', 'Z'),
    scheduledSeconds: seconds(created, scheduled),
    ...(startedInOrder === undefined
      ? {}
      : { startedSeconds: seconds(scheduled, startedInOrder), loadedSeconds: seconds(startedInOrder, ready) }),
    totalSeconds: seconds(created, ready),
  };
}

function readyAt(c: ColdStart): number {
  return (time(c.createdAt) ?? 0) + c.totalSeconds * 1000;
}

/**
 * The latest cold start: of the ready pods, the one that became ready last; the previous one
 * when none is newer (after a scale to zero the pods are gone, and the record stays).
 */
export function lastColdStart(pods: readonly V1Pod[], previous: ColdStart | undefined): ColdStart | undefined {
  let latest = previous;
  for (const pod of pods) {
    const start = podColdStart(pod);
    if (start && (!latest || readyAt(start) > readyAt(latest))) latest = start;
  }
  return latest;
}

/** The Event message for a new cold start, e.g. "Replica m-vllm-x ready 95s after creation: scheduled 2s, ...". */
export function coldStartMessage(c: ColdStart): string {
  const parts = [`scheduled ${String(c.scheduledSeconds)}s`];
  if (c.startedSeconds !== undefined) parts.push(`image pulled and started ${String(c.startedSeconds)}s`);
  if (c.loadedSeconds !== undefined) parts.push(`weights loaded ${String(c.loadedSeconds)}s`);
  return `Replica ${c.pod} ready ${String(c.totalSeconds)}s after creation: ${parts.join(', ')}.`;
}
