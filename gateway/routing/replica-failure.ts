// Which upstream failures say "this replica did no work": no connection (refused, reset, DNS), no
// response in time, or a 502/503 from it. The request can go to another replica without any risk
// of generating (and billing) twice. Anything else (a 4xx about the request, a 500 from vLLM, the
// client leaving) goes back to the client as it is.
import { isGatewayError } from '../errors.ts';

const NO_WORK_DONE = new Set(['upstream_unavailable', 'upstream_timeout']);

export function isReplicaFailure(err: unknown): boolean {
  return isGatewayError(err) && NO_WORK_DONE.has(err.code);
}
