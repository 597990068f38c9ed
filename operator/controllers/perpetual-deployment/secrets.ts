// The Secrets a PerpetualDeployment refers to, and the ones the operator generates for it.
// Secret values are only ever hashed here: never logged, never copied into status or events.
import { createHash, randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { PerpetualDeployment } from '../../api/v1alpha1/perpetual-deployment.ts';
import { childMeta, ownerOf } from '../../resources/meta.ts';
import type { ReconcileContext } from '../context.ts';
import type { GeneratedSecret } from './desired.ts';
import type { SecretProblem } from './observe.ts';

export interface SecretReference {
  purpose: string;
  name: string;
  key: string;
}

/** Every Secret key the spec refers to, with what it is for (named in status messages). */
export function referencedSecrets(pd: PerpetualDeployment): SecretReference[] {
  const spec = pd.spec;
  const refs: (SecretReference | undefined)[] = [
    { purpose: 'database', ...spec.database.secretRef },
    { purpose: 'encryption keys', ...spec.encryptionKeySecretRef },
    spec.vectorStore.type === 'external' && spec.vectorStore.external?.apiKeySecretRef ? { purpose: 'vector store', ...spec.vectorStore.external.apiKeySecretRef } : undefined,
    spec.cache.type === 'external' && spec.cache.external?.passwordSecretRef ? { purpose: 'cache', ...spec.cache.external.passwordSecretRef } : undefined,
    spec.auth.jwtSecretRef ? { purpose: 'JWT secret', ...spec.auth.jwtSecretRef } : undefined,
    spec.auth.adminTokenSecretRef ? { purpose: 'admin token', ...spec.auth.adminTokenSecretRef } : undefined,
    spec.billing?.polar ? { purpose: 'billing', ...spec.billing.polar.tokenSecretRef } : undefined,
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
    if (!secret) problems.push({ ...ref, reason: 'SecretNotFound' });
    else if (value === undefined) problems.push({ ...ref, reason: 'SecretKeyNotFound' });
    const entry = `${ref.purpose}\0${ref.name}\0${ref.key}\0${value ?? ''}\0`;
    all.update(entry);
    if (ref.purpose === 'database') database.update(entry);
  }
  return { problems, hash: all.digest('hex').slice(0, 16), databaseHash: database.digest('hex').slice(0, 16) };
}

/** Creates each generated Secret once, with a random value; existing ones are never touched. */
export async function ensureGeneratedSecrets(ctx: ReconcileContext, pd: PerpetualDeployment, secrets: readonly GeneratedSecret[]): Promise<void> {
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
