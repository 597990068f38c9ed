// Kubernetes Events on the objects we own, for `kubectl describe` and `kubectl get events`.
import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { errorMessage } from '../utils.ts';

export interface EventToRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export type EventRecorder = (regarding: KubernetesObject, event: EventToRecord) => Promise<void>;

export function makeEventRecorder(core: CoreV1Api, component: string, log: Logger): EventRecorder {
  return async (regarding, event) => {
    const namespace = regarding.metadata?.namespace ?? 'default';
    const now = new Date();
    try {
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${regarding.metadata?.name ?? 'object'}.`, namespace },
          involvedObject: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            name: regarding.metadata?.name,
            namespace,
            uid: regarding.metadata?.uid,
          },
          type: event.type,
          reason: event.reason,
          message: event.message,
          source: { component },
          reportingComponent: component,
          reportingInstance: component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      // An event is a courtesy: losing one must never fail a reconcile.
      log.warn({ err: errorMessage(err), reason: event.reason }, 'Could not record event');
    }
  };
}
