// The database migration: a Job that runs `migrate` from the gateway's image against the
// spec's database.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { PerpetualDeployment } from '../../../api/v1alpha1/perpetual-deployment.ts';
import { buildJob } from '../../../resources/job.ts';
import { childMeta, type Owner } from '../../../resources/meta.ts';
import { MIGRATION_DEFAULT_REQUESTS } from '../../../api/v1alpha1/resource-defaults.ts';
import { containerResources, envFromSecret, ourImagePodSecurity, restrictedContainerSecurity } from '../../../resources/pod.ts';
import { shortHash } from '../../../utils.ts';
import { childNames } from '../names.ts';

/**
 * The migration Job's name changes with the gateway image and the database credentials, so a new
 * version migrates again, and so does a fix after a failed run (a Job never runs twice).
 */
export function migrationJobName(pdName: string, image: string, databaseSecretHash: string): string {
  return `${childNames(pdName).migrationPrefix}${shortHash({ image, databaseSecretHash }, 8)}`;
}

export function migrationJob(owner: Owner, pd: PerpetualDeployment, image: string, databaseSecretHash: string): KubernetesObject {
  const db = pd.spec.database.secretRef;
  return buildJob(childMeta(owner, migrationJobName(owner.name, image, databaseSecretHash), 'migration'), {
    metadata: { labels: childMeta(owner, '', 'migration').labels },
    spec: {
      securityContext: ourImagePodSecurity,
      containers: [
        {
          name: 'migrate',
          image,
          args: ['migrate'],
          env: [envFromSecret('DATABASE_URL', { name: db.name, key: db.key })],
          resources: containerResources({ requests: MIGRATION_DEFAULT_REQUESTS }),
          securityContext: { ...restrictedContainerSecurity, readOnlyRootFilesystem: true },
        },
      ],
    },
  });
}
