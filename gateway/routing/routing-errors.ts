// What a client is told when a local model cannot be served right now. All are 503s: the model is
// configured here, so a 404 would be a lie, and a 404 also stops clients (and the autoscaler's
// demand signal) from ever retrying (vLLM production-stack #1003). Retry-After says when trying
// again makes sense.
import { GatewayError, unavailable } from '../errors.ts';

/** Seconds a client should wait before retrying a model that is still starting. */
export const STARTING_RETRY_AFTER_SECONDS = 10;

export function heldQueueFull(model: string, held: number): GatewayError {
  return unavailable(
    `The model "${model}" is starting (no replica is ready yet) and this gateway is already holding as many requests for it as it may (${held}). Retry after ${STARTING_RETRY_AFTER_SECONDS} seconds.`,
    'model_starting_queue_full',
    { 'Retry-After': String(STARTING_RETRY_AFTER_SECONDS) },
  );
}

export function holdTimedOut(model: string, waitedMs: number): GatewayError {
  return unavailable(
    `The model "${model}" had no ready replica within ${Math.round(waitedMs / 1000)} s: it is still starting (loading weights, or waiting for a GPU node). Retry after ${STARTING_RETRY_AFTER_SECONDS} seconds; if this persists, check the ModelServer's status (kubectl get modelservers).`,
    'model_starting_timeout',
    { 'Retry-After': String(STARTING_RETRY_AFTER_SECONDS) },
  );
}

export function modelServerGone(model: string, modelServer: string): GatewayError {
  return new GatewayError(
    `The model "${model}" cannot be served: its ModelServer "${modelServer}" no longer exists. Recreate the ModelServer, or remove the model from the PerpetualDeployment.`,
    { status: 503, type: 'service_unavailable_error', code: 'model_server_not_found' },
  );
}

export function routerClosed(model: string): GatewayError {
  return unavailable(
    `The gateway is shutting down and could not serve "${model}". Retry; another gateway replica will take it.`,
    'gateway_shutting_down',
    { 'Retry-After': '1' },
  );
}
