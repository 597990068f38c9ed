// Lists and watches of a kind's metadata only (PartialObjectMetadata, what controller-runtime's
// metadata-only watches use), for kinds whose values the operator must never hold: Secrets. The
// API server strips the values before they leave it; what still arrives is cut down to the
// object's identity, because metadata can carry values too (kubectl apply copies the whole
// manifest, `data` included, into the last-applied-configuration annotation).
import {
  HttpMethod,
  RequestContext,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { fetch } from 'undici';
import { collectionPath, type ResourceKind } from './resource-kinds.ts';

export const AS_METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
export const AS_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/**
 * Reduces `obj`, in place (the cache holds this same object), to its kind, name, namespace and
 * resourceVersion (which the watch resumes from and tells updates apart by). Whatever else came,
 * be it annotations or, from a server that ignored the Accept header, the values themselves, is dropped.
 */
export function keepIdentityOnly(obj: KubernetesObject): void {
  const { name, namespace, resourceVersion } = obj.metadata ?? {};
  for (const field of Object.keys(obj)) {
    if (field !== 'apiVersion' && field !== 'kind') Reflect.deleteProperty(obj, field);
  }
  obj.metadata = { name, namespace, resourceVersion };
}

/**
 * The KubeConfig as client-node's Watch uses it (the current cluster and the request's
 * authentication), asking for metadata only. The header is set after authentication, which sets
 * none of its own but Authorization.
 */
function askingForMetadata(kc: KubeConfig): KubeConfig {
  const asking: Pick<KubeConfig, 'getCurrentCluster' | 'applySecurityAuthentication'> = {
    getCurrentCluster: () => kc.getCurrentCluster(),
    applySecurityAuthentication: async (context) => {
      await kc.applySecurityAuthentication(context);
      context.setHeaderParam('Accept', AS_METADATA);
    },
  };
  return asking as KubeConfig;
}

/**
 * One list of `resource`'s metadata, cluster-wide or in `namespace`. Errors carry the HTTP status
 * as `statusCode`, as client-node's do.
 */
export async function listMetadata(
  kc: KubeConfig,
  resource: ResourceKind,
  labelSelector: string | undefined,
  namespace?: string,
): Promise<KubernetesListObject<KubernetesObject>> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('No currently active cluster');
  const url = new URL(server + collectionPath(resource, namespace));
  if (labelSelector !== undefined) url.searchParams.set('labelSelector', labelSelector);
  const context = new RequestContext(url.toString(), HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  context.setHeaderParam('Accept', AS_METADATA_LIST);
  const response = await fetch(url, { headers: context.getHeaders(), dispatcher: context.getDispatcher() });
  if (!response.ok) {
    await response.body?.cancel();
    throw Object.assign(new Error(`listing ${resource.plural} (metadata only): HTTP ${String(response.status)}`), {
      statusCode: response.status,
    });
  }
  return (await response.json()) as KubernetesListObject<KubernetesObject>;
}

/** client-node's Watch, asking for metadata only. */
export function metadataWatch(kc: KubeConfig): Watch {
  return new Watch(askingForMetadata(kc));
}
