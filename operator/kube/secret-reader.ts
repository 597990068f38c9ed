// Reads the Secrets a custom resource refers to (the user's database URL, encryption keys). These
// are read with GET rather than cached by an informer: an informer on Secrets would hold the value
// of every Secret in the cluster in memory, and the user's Secrets carry no label we could select
// on. What is watched instead is their metadata (kube/metadata-informer.ts), which says when one
// changed, never what it holds.
// A read is shared for a short time, so a thousand PerpetualDeployments naming the same Secret, or
// one reconciled several times in a row as its children appear, cost one request instead of one
// each. A change to a Secret ends its share (`forget`, on the watch event), so the reconcile that
// event causes reads the new value.
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { isApiError } from './writer.ts';
import { errorMessage } from '../utils.ts';

/** The Secret's data, or undefined when it does not exist. */
export type SecretData = V1Secret['data'] | undefined;
export type FetchSecret = (namespace: string, name: string) => Promise<SecretData>;

export const SHARE_MS = 2000;

export interface SecretReader {
  read(namespace: string, name: string): Promise<SecretData>;
  /** Ends the share of this Secret's last read (it changed): the next read asks the API server. */
  forget(namespace: string, name: string): void;
}

/** Wraps `fetch` so concurrent and recent reads of one Secret share one request. Failures are not kept. */
export function sharedSecretReader(fetch: FetchSecret, shareMs = SHARE_MS): SecretReader {
  const recent = new Map<string, Promise<SecretData>>();
  return {
    read(namespace, name) {
      const key = `${namespace}/${name}`;
      const known = recent.get(key);
      if (known) return known;
      const reading = fetch(namespace, name);
      recent.set(key, reading);
      const forget = (): void => {
        if (recent.get(key) === reading) recent.delete(key);
      };
      reading.then(() => setTimeout(forget, shareMs).unref(), forget);
      return reading;
    },
    forget(namespace, name) {
      recent.delete(`${namespace}/${name}`);
    },
  };
}

/** GET through the API; a missing Secret is undefined, any other failure an error naming the Secret (never its value). */
export function fetchSecretFrom(core: CoreV1Api): FetchSecret {
  return async (namespace, name) => {
    try {
      return (await core.readNamespacedSecret({ name, namespace })).data ?? {};
    } catch (err) {
      if (isApiError(err, 404)) return undefined;
      throw new Error(`reading Secret ${namespace}/${name}: ${errorMessage(err)}`, { cause: err });
    }
  };
}
