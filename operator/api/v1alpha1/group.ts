// API group and version of every Perpetual custom resource.

/** The API group of all Perpetual custom resources. */
export const GROUP = 'perpetual.ai';
/** The only served version. */
export const VERSION = 'v1alpha1';
/** `apiVersion` as it appears in manifests. */
export const API_VERSION = `${GROUP}/${VERSION}`;
/** `kubectl get perpetual` lists every Perpetual kind. */
export const CATEGORY = 'perpetual';
