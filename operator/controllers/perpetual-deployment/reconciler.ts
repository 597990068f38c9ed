// Reconciles one PerpetualDeployment: read → desired (pure) → apply what drifted → prune →
// observe → status (pure) → write status if changed → events on transitions.
import { PerpetualDeploymentConditions } from '../../api/v1alpha1/conditions.ts';
import { Kinds, type KindName } from '../../kube/resource-kinds.ts';
import { applyChildren, childKey, finishReconcile, pruneChildren, tryWriteChildren, type ReconcileContext, type ReconcileResult } from '../context.ts';
import { desiredObjects, gatewayImage, migrationJobName } from './desired.ts';
import { observePerpetualDeployment } from './observe.ts';
import { checkReferencedSecrets, ensureGeneratedSecrets } from './secrets.ts';
import { computePerpetualDeploymentStatus } from './status.ts';

/** Every kind a PerpetualDeployment may own (and so may need pruning). */
export const PERPETUAL_DEPLOYMENT_CHILD_KINDS: readonly KindName[] = [
  'Deployment', 'StatefulSet', 'Service', 'ConfigMap', 'Secret', 'Job', 'PodDisruptionBudget', 'HorizontalPodAutoscaler',
  'ServiceAccount', 'Role', 'RoleBinding',
];

export async function reconcilePerpetualDeployment(ctx: ReconcileContext, namespace: string, name: string): Promise<ReconcileResult> {
  const pd = ctx.caches.get('PerpetualDeployment', name, namespace);
  // Gone or going: its children are garbage-collected through their owner references.
  if (!pd || pd.metadata?.deletionTimestamp) return {};
  const secrets = await checkReferencedSecrets(ctx, pd);
  const modelServers = new Map(ctx.caches.list('ModelServer', namespace).map((ms) => [ms.metadata?.name ?? '', ms]));
  const desired = desiredObjects({
    pd,
    config: ctx.config,
    modelServers,
    referencedSecretsHash: secrets.hash,
    databaseSecretHash: secrets.databaseHash,
    databaseUsable: !secrets.problems.some((p) => p.purpose === 'database'),
  });
  const keep = new Set([
    ...desired.objects.map((o) => childKey(o.kind ?? '', o.metadata?.name ?? '')),
    ...desired.generatedSecrets.map((s) => childKey('Secret', s.name)),
  ]);
  const failure = await tryWriteChildren(async () => {
    await ensureGeneratedSecrets(ctx, pd, desired.generatedSecrets);
    await applyChildren(ctx, desired.objects);
    await pruneChildren(ctx, pd, PERPETUAL_DEPLOYMENT_CHILD_KINDS, keep);
  });

  const observed = observePerpetualDeployment(ctx.caches, pd, migrationJobName(name, gatewayImage(pd, ctx.config), secrets.databaseHash), secrets.problems);
  return finishReconcile(ctx, pd, computePerpetualDeploymentStatus(pd, observed, ctx.now()), {
    resource: Kinds.PerpetualDeployment,
    failure,
    failureCondition: PerpetualDeploymentConditions.Reconciling,
    warnWhenTrue: [PerpetualDeploymentConditions.Stalled],
  });
}
