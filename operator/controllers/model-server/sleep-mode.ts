// autoscaling.standby: what vLLM needs to be put to sleep and woken. Sleep mode is a start-time
// switch (--enable-sleep-mode makes vLLM allocate GPU memory it can release), and vLLM serves
// /sleep, /wake_up and /is_sleeping only in its development-server mode. Pure.
import type { V1EnvVar } from '@kubernetes/client-node';
import type { ModelServer } from '../../api/v1alpha1/model-server.ts';
import { envValue } from '../../resources/pod.ts';

type Spec = ModelServer['spec'];

export const SLEEP_MODE_FLAG = '--enable-sleep-mode';
/** vLLM registers /sleep, /wake_up and /is_sleeping only when this is 1. */
export const SERVER_DEV_MODE_ENV = 'VLLM_SERVER_DEV_MODE';

export function wantsStandby(spec: Spec): boolean {
  return spec.autoscaling?.standby !== undefined;
}

export function sleepModeArgs(spec: Spec): string[] {
  return wantsStandby(spec) ? [SLEEP_MODE_FLAG] : [];
}

export function sleepModeEnv(spec: Spec): V1EnvVar[] {
  return wantsStandby(spec) ? [envValue(SERVER_DEV_MODE_ENV, '1')] : [];
}
