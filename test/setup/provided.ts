// What the global setups hand to the tests (vitest `provide`/`inject`).
import type { Profile } from '../harness/control-plane.ts';

export interface ProvidedControlPlane {
  profile: Profile;
  kubeconfigPath: string;
  dir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    controlPlane: ProvidedControlPlane;
    postgresUrl: string;
    redisUrl: string;
  }
}
