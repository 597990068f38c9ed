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
    /** A real Qdrant server on loopback (../shared/qdrant), absent where there is no binary. */
    qdrantServer: { url: string; apiKey: string } | undefined;
    /** Node profile: images built from this repository and imported into the node, by name. */
    images: Record<string, string>;
    /** Node profile without a Qdrant image: the emulator on the node's bridge, as an external vector store. */
    externalQdrantUrl: string | undefined;
  }
}
