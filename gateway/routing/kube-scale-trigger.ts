// 0 → 1 through the ModelServer's scale subresource, with the gateway's ServiceAccount:
//   GET   /apis/perpetual.ai/v1alpha1/namespaces/<ns>/modelservers/<name>/scale
//   PATCH the same, merge patch {metadata: {resourceVersion}, spec: {replicas: 1}}, only when
//         spec.replicas is 0.
// The resourceVersion makes the PATCH conditional: if the autoscaler (or kubectl scale) changed the
// object between the GET and the PATCH, the API server answers 409 and the gateway looks again,
// so it never overwrites someone else's decision (kthena#1019: one writer for replicas, except for
// the 0 → 1 step). Needs RBAC: get and patch on perpetual.ai modelservers/scale in the namespace.
import { ApiException, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ScaleTrigger } from './scale-trigger.ts';

const GROUP = 'perpetual.ai';
const VERSION = 'v1alpha1';
const PLURAL = 'modelservers';
const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
/** GET+PATCH rounds when the object keeps changing under us; after that, someone else is scaling it. */
const MAX_ROUNDS = 3;

interface ScaleObject {
  metadata?: { resourceVersion?: string };
  spec?: { replicas?: number };
}

type Outcome = 'scaled' | 'not-zero' | 'conflict';

export interface KubeScaleTriggerOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  log: Logger;
}

/** KUBECONFIG when set (tests, local runs), the in-cluster ServiceAccount otherwise. */
export function kubeConfigFromEnvironment(kubeconfigPath: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (kubeconfigPath) kubeConfig.loadFromFile(kubeconfigPath);
  else kubeConfig.loadFromCluster();
  return kubeConfig;
}

/** The ModelServers' namespace: POD_NAMESPACE, the ServiceAccount's namespace, the kubeconfig context's, or "default". */
export function namespaceFromEnvironment(podNamespace: string | undefined, kubeConfig: KubeConfig): string {
  if (podNamespace) return podNamespace;
  if (existsSync(SERVICE_ACCOUNT_NAMESPACE)) return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
  return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
}

function describe(err: unknown): { status: number | undefined; message: string } {
  if (err instanceof ApiException) return { status: err.code, message: `HTTP ${String(err.code)}` };
  return { status: undefined, message: err instanceof Error ? err.message : String(err) };
}

export class KubeScaleTrigger implements ScaleTrigger {
  readonly #api: CustomObjectsApi;
  readonly #namespace: string;
  readonly #log: Logger;

  constructor(options: KubeScaleTriggerOptions) {
    this.#api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.#namespace = options.namespace;
    this.#log = options.log.child({ scaleTrigger: 'kube', namespace: options.namespace });
  }

  async scaleFromZero(modelServer: string): Promise<void> {
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const outcome = await this.#once(modelServer);
        if (outcome === 'scaled') this.#log.info({ modelServer }, 'Scaled ModelServer from 0 to 1 replica: requests are waiting for it');
        if (outcome !== 'conflict') return;
      }
      this.#log.info({ modelServer }, 'ModelServer kept changing while scaling from zero; leaving it to whoever is scaling it');
    } catch (err) {
      const { status, message } = describe(err);
      const hint =
        status === 403
          ? ": the gateway's ServiceAccount needs get and patch on perpetual.ai modelservers/scale"
          : status === 404
            ? ': no such ModelServer'
            : '';
      this.#log.warn({ modelServer, status, err: message }, `Could not scale ModelServer from zero${hint}`);
    }
  }

  async #once(name: string): Promise<Outcome> {
    const ref = { group: GROUP, version: VERSION, namespace: this.#namespace, plural: PLURAL, name };
    const scale = (await this.#api.getNamespacedCustomObjectScale(ref)) as ScaleObject;
    // Scale's spec.replicas is omitted when 0 (omitempty), so absent means zero.
    if ((scale.spec?.replicas ?? 0) > 0) return 'not-zero';
    const body = { metadata: { resourceVersion: scale.metadata?.resourceVersion }, spec: { replicas: 1 } };
    try {
      await this.#api.patchNamespacedCustomObjectScale(
        { ...ref, body, fieldManager: 'perpetual-gateway' },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      return 'scaled';
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) return 'conflict';
      throw err;
    }
  }
}
