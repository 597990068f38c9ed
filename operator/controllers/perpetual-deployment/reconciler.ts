// Reconciles one PerpetualDeployment: read → check what only a human can fix → desired (pure) →
// apply what drifted → prune → observe → status (pure) → write status if changed → events on
// transitions.
import { PerpetualDeploymentConditions } from '../../api/v1alpha1/conditions.ts';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
import { Kinds, type KindName } from '../../kube/resource-kinds.ts';
import {
  applyChildren,
  childKey,
  finishReconcile,
  pruneChildren,
  tryWriteChildren,
  type ReconcileContext,
  type ReconcileResult,
} from '../context.ts';
import { desiredObjects, gatewayImage, generatedSecrets, migrationJobName } from './desired.ts';
import { observePerpetualDeployment } from './observe.ts';
import { checkReferencedSecrets, ensureGeneratedSecrets, foreignGeneratedSecrets, type SecretCheck } from './secrets.ts';
import { specProblems } from './spec-problems.ts';
import { computePerpetualDeploymentStatus } from './status.ts';

/** Every kind a PerpetualDeployment may own (and so may need pruning). */
export const PERPETUAL_DEPLOYMENT_CHILD_KINDS: readonly KindName[] = [
  'Deployment',
  'StatefulSet',
  'Service',
  'ConfigMap',
  'Secret',
  'Job',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'NetworkPolicy',
];

export async function reconcilePerpetualDeployment(ctx: ReconcileContext, namespace: string, name: string): Promise<ReconcileResult> {
  const pd = ctx.caches.get('PerpetualDeployment', name, namespace);
  // Gone or going: its children are garbage-collected through their owner references.
  if (!pd || pd.metadata?.deletionTimestamp) return {};
  const secrets = await checkReferencedSecrets(ctx, pd);
  const invalidSpec = specProblems(pd);
  const blockers = [...invalidSpec, ...(await foreignGeneratedSecrets(ctx, pd, generatedSecrets(pd)))];
  // While something blocks the stack, nothing is written: the children keep serving the last good spec.
  const failure = blockers.length > 0 ? undefined : await tryWriteChildren(() => writeChildren(ctx, pd, secrets));

  const observed = observePerpetualDeployment(ctx.caches, pd, migrationJobName(name, gatewayImage(pd, ctx.config), secrets.databaseHash), {
    secretProblems: secrets.problems,
    blockers,
  });
  const result = await finishReconcile(ctx, pd, computePerpetualDeploymentStatus(pd, observed, ctx.now()), {
    resource: Kinds.PerpetualDeployment,
    failure,
    failureCondition: PerpetualDeploymentConditions.Reconciling,
    warnWhenTrue: [PerpetualDeploymentConditions.Stalled],
  });
  // An invalid spec is terminal until the spec changes (a watch event): no retry, no requeue.
  return invalidSpec.length > 0 ? {} : result;
}

/** Generated Secrets first (the pods read them), then every desired child; then prune the rest. */
async function writeChildren(ctx: ReconcileContext, pd: PerpetualDeployment, secrets: SecretCheck): Promise<void> {
  const desired = desiredObjects({
    pd,
    config: ctx.config,
    modelServers: new Map(ctx.caches.list('ModelServer', pd.metadata?.namespace ?? '').map((ms) => [ms.metadata?.name ?? '', ms])),
    referencedSecretsHash: secrets.hash,
    databaseSecretHash: secrets.databaseHash,
    databaseUsable: !secrets.problems.some((p) => p.purpose === 'database'),
  });
  const keep = new Set([
    ...desired.objects.map((o) => childKey(o.kind ?? '', o.metadata?.name ?? '')),
    ...desired.generatedSecrets.map((s) => childKey('Secret', s.name)),
  ]);
  await ensureGeneratedSecrets(ctx, pd, desired.generatedSecrets);
  await applyChildren(ctx, desired.objects);
  await pruneChildren(ctx, pd, PERPETUAL_DEPLOYMENT_CHILD_KINDS, keep);
}
