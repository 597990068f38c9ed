// The Secrets a PerpetualDeployment refers to, and the ones the operator generates for it.
// Secret values are only ever hashed here: never logged, never copied into status or events.
import { createHash, randomBytes } from 'node:crypto';
import { setHeaderOptions, type V1ObjectMeta, type V1Secret } from '@kubernetes/client-node';
import { SecretPurposes as P, StalledReasons, type SecretPurpose } from '../../api/v1alpha1/conditions.ts';
import { isApiError } from '../../kube/writer.ts';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
import { childMeta, ownerOf } from '../../resources/meta.ts';
import type { ReconcileContext } from '../context.ts';
import type { GeneratedSecret } from './desired.ts';
import type { Blocker, SecretProblem } from './observe.ts';

export interface SecretReference {
  purpose: SecretPurpose;
  name: string;
  key: string;
}

/** Every Secret key the spec refers to, with what it is for (named in status messages). */
export function referencedSecrets(pd: PerpetualDeployment): SecretReference[] {
  const spec = pd.spec;
  const refs: (SecretReference | undefined)[] = [
    { purpose: P.Database, ...spec.database.secretRef },
    { purpose: P.EncryptionKeys, ...spec.encryptionKeySecretRef },
    spec.vectorStore.type === 'external' && spec.vectorStore.external?.apiKeySecretRef
      ? { purpose: P.VectorStore, ...spec.vectorStore.external.apiKeySecretRef }
      : undefined,
    spec.cache.type === 'external' && spec.cache.external?.passwordSecretRef
      ? { purpose: P.Cache, ...spec.cache.external.passwordSecretRef }
      : undefined,
    spec.auth.jwtSecretRef ? { purpose: P.JwtSecret, ...spec.auth.jwtSecretRef } : undefined,
    spec.auth.adminTokenSecretRef ? { purpose: P.AdminToken, ...spec.auth.adminTokenSecretRef } : undefined,
    spec.billing?.polar ? { purpose: P.Billing, ...spec.billing.polar.tokenSecretRef } : undefined,
  ];
  return refs.filter((r): r is SecretReference => r !== undefined);
}

export interface SecretCheck {
  problems: SecretProblem[];
  /** Hash of every referenced value, so a rotated Secret rolls the pods that read it. */
  hash: string;
  /** Hash of the database credentials alone (re-runs migrations when they change). */
  databaseHash: string;
}

/** Reads each referenced Secret (GET, shared between reconciles: see kube/secret-reader.ts). */
export async function checkReferencedSecrets(ctx: ReconcileContext, pd: PerpetualDeployment): Promise<SecretCheck> {
  const namespace = pd.metadata?.namespace ?? '';
  const refs = referencedSecrets(pd);
  const names = [...new Set(refs.map((r) => r.name))];
  const secrets = new Map(await Promise.all(names.map(async (name) => [name, await ctx.secrets.read(namespace, name)] as const)));
  const problems: SecretProblem[] = [];
  const all = createHash('sha256');
  const database = createHash('sha256');
  for (const ref of refs) {
    const secret = secrets.get(ref.name);
    const value = secret?.[ref.key];
    if (!secret) problems.push({ ...ref, reason: StalledReasons.SecretNotFound });
    else if (value === undefined) problems.push({ ...ref, reason: StalledReasons.SecretKeyNotFound });
    const entry = `${ref.purpose}\0${ref.name}\0${ref.key}\0${value ?? ''}\0`;
    all.update(entry);
    if (ref.purpose === P.Database) database.update(entry);
  }
  return { problems, hash: all.digest('hex').slice(0, 16), databaseHash: database.digest('hex').slice(0, 16) };
}

/** Creates each generated Secret once, with a random value; existing ones are never touched. */
export async function ensureGeneratedSecrets(
  ctx: ReconcileContext,
  pd: PerpetualDeployment,
  secrets: readonly GeneratedSecret[],
): Promise<void> {
  const owner = ownerOf({ ...pd, kind: 'PerpetualDeployment' });
  for (const generated of secrets) {
    if (ctx.caches.get('Secret', generated.name, owner.namespace)) continue;
    const created = await ctx.writer.createIfAbsent({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: childMeta(owner, generated.name, generated.component),
      type: 'Opaque',
      data: { [generated.key]: Buffer.from(randomBytes(32).toString('base64url')).toString('base64') },
    } as V1Secret);
    if (created) ctx.log.info({ secret: generated.name }, 'Generated Secret');
  }
}

/** What each generated Secret is for, as the conditions name components. */
const PURPOSE_OF_COMPONENT: Record<string, SecretPurpose> = { qdrant: P.VectorStore, redis: P.Cache, gateway: P.AdminToken };

/**
 * A generated Secret's name taken by a Secret this PerpetualDeployment does not control (created by
 * hand, by another tool, left by an earlier object of the same name): using it would hand someone
 * else's value, e.g. an admin token they know, to the stack. Pure; `meta` is undefined when no
 * Secret of that name exists.
 */
export function notOurs(generated: GeneratedSecret, meta: V1ObjectMeta | undefined, ownerUid: string): Blocker | undefined {
  if (!meta) return undefined;
  const controller = meta.ownerReferences?.find((r) => r.controller);
  if (controller?.uid === ownerUid) return undefined;
  const by = controller ? `is controlled by ${controller.kind} "${controller.name}"` : 'has no controller';
  return {
    // Every generated Secret is the Qdrant key, the Redis password or the gateway's admin token.
    purpose: PURPOSE_OF_COMPONENT[generated.component] ?? P.AdminToken,
    reason: StalledReasons.SecretNotOwned,
    message:
      `Secret "${generated.name}" already exists and ${by}, not this PerpetualDeployment; its value is not used. ` +
      'Delete that Secret (one is then generated) or rename this PerpetualDeployment.',
  };
}

/**
 * The generated Secrets whose names someone else's Secret holds. Ours are in the cache (they carry
 * our labels); any other is read as metadata only (PartialObjectMetadata): never its value.
 */
export async function foreignGeneratedSecrets(
  ctx: ReconcileContext,
  pd: PerpetualDeployment,
  secrets: readonly GeneratedSecret[],
): Promise<Blocker[]> {
  const namespace = pd.metadata?.namespace ?? '';
  const uid = pd.metadata?.uid ?? '';
  const blockers = await Promise.all(
    secrets.map(async (generated) => {
      const meta =
        ctx.caches.get('Secret', generated.name, namespace)?.metadata ?? (await readSecretMetadata(ctx, namespace, generated.name));
      return notOurs(generated, meta, uid);
    }),
  );
  return blockers.filter((b): b is Blocker => b !== undefined);
}

const PARTIAL_OBJECT_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

async function readSecretMetadata(ctx: ReconcileContext, namespace: string, name: string): Promise<V1ObjectMeta | undefined> {
  try {
    return (await ctx.kube.core.readNamespacedSecret({ name, namespace }, setHeaderOptions('Accept', PARTIAL_OBJECT_METADATA))).metadata;
  } catch (err) {
    if (isApiError(err, 404)) return undefined;
    throw err;
  }
}
