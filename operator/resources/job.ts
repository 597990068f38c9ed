import type { V1Job, V1ObjectMeta, V1PodTemplateSpec } from '@kubernetes/client-node';

/** How long and how often a Job may try; the defaults suit a short task (a migration). */
export interface JobLimits {
  backoffLimit: number;
  activeDeadlineSeconds: number;
}

export function buildJob(
  meta: V1ObjectMeta,
  template: V1PodTemplateSpec,
  limits: JobLimits = { backoffLimit: 6, activeDeadlineSeconds: 900 },
): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta,
    spec: {
      backoffLimit: limits.backoffLimit,
      activeDeadlineSeconds: limits.activeDeadlineSeconds,
      template: { ...template, spec: { ...template.spec, containers: template.spec?.containers ?? [], restartPolicy: 'Never' } },
    },
  };
}
