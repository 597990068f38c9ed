// What happens to users' memories when a stack is deleted: the Qdrant volume claims stay by default
// (retainOnDelete true) and go with the stack when retainOnDelete is false. kube-controller-manager's
// StatefulSet controller and garbage collector do the deleting, as on a real cluster. The claims
// name a StorageClass that does not exist, so they stay Pending and take no volume from the pool
// the other files share.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
let ns = '';
let operator: OperatorProcess;

const storage = { size: '1Gi', storageClassName: 'never-bound' };

interface Claim {
  metadata: { name: string; ownerReferences?: { kind: string; name: string }[] };
}

async function claims(): Promise<Map<string, Claim>> {
  const list = JSON.parse(await cluster.kubectlOk(['get', 'pvc', '-n', ns, '-o', 'json'])) as { items: Claim[] };
  return new Map(list.items.map((c) => [c.metadata.name, c]));
}

beforeAll(async () => {
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  ns = await cluster.createNamespace('claims');
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], secretsManifest());
  operator = await startOperator({ kubeconfigPath: cluster.kubeconfigPath });
});

afterAll(async () => {
  await operator.stop();
  await cluster.kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=60s']);
});

describe('deleting a PerpetualDeployment', () => {
  it('keeps the Qdrant claims by default, and deletes them with retainOnDelete false', async () => {
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], perpetualDeployment('kept', { vectorStore: { managed: { storage } } }));
    await cluster.kubectlOk(
      ['apply', '-n', ns, '-f', '-'],
      perpetualDeployment('dropped', { vectorStore: { managed: { storage, retainOnDelete: false } } }),
    );
    // The StatefulSet controller creates the claims, and owns them itself only where they are to go.
    await eventually(async () => {
      const found = await claims();
      expect(found.get('storage-kept-qdrant-0')?.metadata.ownerReferences).toBeUndefined();
      expect(found.get('storage-dropped-qdrant-0')?.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'StatefulSet', name: 'dropped-qdrant' }),
      ]);
    }, 60_000);

    await cluster.kubectlOk(['delete', 'pd', 'kept', 'dropped', '-n', ns, '--wait=true', '--timeout=60s']);
    await eventually(async () => {
      expect(await cluster.kubectlOk(['get', 'statefulsets', '-n', ns, '-o', 'name'])).toBe('');
      expect([...(await claims()).keys()]).toEqual(['storage-kept-qdrant-0']);
    }, 60_000);
    // The command the retainOnDelete description gives for deleting them by hand finds them.
    const selector = 'app.kubernetes.io/instance=kept,app.kubernetes.io/component=qdrant';
    expect(await cluster.kubectlOk(['get', 'pvc', '-n', ns, '-l', selector, '-o', 'name'])).toBe(
      'persistentvolumeclaim/storage-kept-qdrant-0\n',
    );
  }, 150_000);
});
