// Every write the operator makes goes through here: server-side apply with our field manager,
// create-if-absent for generated Secrets, deletes for pruning, and status applies. Each write is
// counted, so tests and benchmarks can prove that a steady state makes none.
import { ApiException, PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import type { Kube } from './client.ts';
import type { ResourceKind } from './resource-kinds.ts';

export type WriteVerb = 'apply' | 'create' | 'delete' | 'status';

export interface Writer {
  apply<T extends KubernetesObject>(obj: T): Promise<T>;
  /** Creates `obj` unless an object of that name exists; returns whether it created it. */
  createIfAbsent(obj: KubernetesObject): Promise<boolean>;
  delete(obj: KubernetesObject): Promise<void>;
  applyStatus(resource: ResourceKind, namespace: string, name: string, status: object): Promise<void>;
}

export function describeObject(obj: KubernetesObject): string {
  return `${obj.kind ?? 'object'} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

export function isApiError(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

/** Wraps a failed API call with what we were doing, keeping the cause (and never a request body). */
async function doing<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const detail = err instanceof ApiException ? `HTTP ${String(err.code)}: ${apiMessage(err)}` : String(err);
    throw new Error(`${what}: ${detail}`, { cause: err });
  }
}

function apiMessage(err: ApiException<unknown>): string {
  const body = err.body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return (body as { message?: string } | undefined)?.message ?? 'no message';
}

export function makeWriter(kube: Kube, fieldManager: string, onWrite: (verb: WriteVerb, kind: string) => void): Writer {
  return {
    apply: (obj) =>
      doing(`applying ${describeObject(obj)}`, async () => {
        onWrite('apply', obj.kind ?? '');
        return kube.objects.patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
      }),
    createIfAbsent: (obj) =>
      doing(`creating ${describeObject(obj)}`, async () => {
        onWrite('create', obj.kind ?? '');
        try {
          await kube.objects.create(obj, undefined, undefined, fieldManager);
          return true;
        } catch (err) {
          if (isApiError(err, 409)) return false;
          throw err;
        }
      }),
    delete: (obj) =>
      doing(`deleting ${describeObject(obj)}`, async () => {
        onWrite('delete', obj.kind ?? '');
        try {
          await kube.objects.delete(obj, undefined, undefined, undefined, undefined, 'Background');
        } catch (err) {
          if (!isApiError(err, 404)) throw err;
        }
      }),
    applyStatus: (resource, namespace, name, status) =>
      doing(`applying status of ${resource.kind} ${namespace}/${name}`, async () => {
        onWrite('status', resource.kind);
        const [group = '', version = ''] = resource.apiVersion.split('/');
        await kube.customObjects.patchNamespacedCustomObjectStatus(
          {
            group,
            version,
            namespace,
            plural: resource.plural,
            name,
            body: { apiVersion: resource.apiVersion, kind: resource.kind, metadata: { name, namespace }, status },
            fieldManager,
            force: true,
          },
          setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
        );
      }),
  };
}
