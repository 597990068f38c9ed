// Names and addresses of a ModelServer's children.
export const VLLM_PORT = 8000;

export function modelServerChildNames(ms: string) {
  return { workload: `${ms}-vllm`, pods: `${ms}-vllm-pods`, weights: `${ms}-weights` };
}

/** The OpenAI-compatible base URL of a ModelServer inside the cluster. */
export function modelServerEndpoint(ms: string, namespace: string): string {
  return `http://${modelServerChildNames(ms).workload}.${namespace}.svc:${String(VLLM_PORT)}/v1`;
}

/**
 * The DNS name whose A records are a ModelServer's replica pods (its headless Service): the
 * gateway balances over them. The operator hands it to the gateway in its configuration file.
 */
export function modelServerReplicasHost(ms: string, namespace: string): string {
  return `${modelServerChildNames(ms).pods}.${namespace}.svc`;
}
