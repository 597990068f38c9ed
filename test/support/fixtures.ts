// Manifests for operator tests, with overridable specs (cert-manager's test/unit/gen habit).
import { stringify } from 'yaml';

type Spec = Record<string, unknown>;

export const DB_URI = 'postgresql://perpetual:db-password-never-logged@db.example:5432/perpetual';
export const FERNET_KEY = 'bm90LWEtcmVhbC1mZXJuZXQta2V5LW5ldmVyLWxvZ2dlZA==';

export function secretsManifest(): string {
  return [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { uri: DB_URI } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'enc' }, stringData: { API_KEY_ENCRYPTION_KEY: FERNET_KEY } },
  ]
    .map((doc) => stringify(doc))
    .join('---\n');
}

export function perpetualDeployment(name: string, spec: Spec = {}): string {
  return stringify({
    apiVersion: 'perpetual.ai/v1alpha1',
    kind: 'PerpetualDeployment',
    metadata: { name },
    spec: {
      mode: 'proxy',
      database: { secretRef: { name: 'db' } },
      encryptionKeySecretRef: { name: 'enc' },
      models: [{ name: 'gpt-4o-mini', provider: 'openai' }],
      ...spec,
    },
  });
}

export function modelServer(name: string, spec: Spec = {}): string {
  return stringify({
    apiVersion: 'perpetual.ai/v1alpha1',
    kind: 'ModelServer',
    metadata: { name },
    spec: { model: { id: 'org/test-model-7b' }, gpu: { count: 1 }, replicas: 1, ...spec },
  });
}
