import type { V1Job, V1ObjectMeta, V1PodTemplateSpec } from '@kubernetes/client-node';

export function buildJob(meta: V1ObjectMeta, template: V1PodTemplateSpec): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta,
    spec: {
      backoffLimit: 6,
      activeDeadlineSeconds: 900,
      template: { ...template, spec: { ...template.spec, containers: template.spec?.containers ?? [], restartPolicy: 'Never' } },
    },
  };
}
