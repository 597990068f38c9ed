// A Secret a PerpetualDeployment refers to is watched (as metadata only), so rotating its value rolls
// the gateway within seconds, not at the next resync. The resync and the waiting requeue are set to
// an hour here: nothing but the Secret's watch event can bring the change in time.
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceInformer } from '../../operator/kube/informer.ts';
import { Kinds } from '../../operator/kube/resource-kinds.ts';
import { eventually } from '../support/eventually.ts';
import { DB_URI, FERNET_KEY, perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
let ns = '';
let operator: OperatorProcess;

const ROTATED_KEY = 'cm90YXRlZC1mZXJuZXQta2V5LW5ldmVyLWxvZ2dlZC0xMjM=';
/** Well under the 300 s default resync, and under the hour this operator waits before anything else would reconcile. */
const ROLLS_WITHIN_MS = 10_000;

async function gatewayConfigHash(): Promise<string | undefined> {
  const result = await cluster.kubectl([
    'get',
    'deployment',
    'app-gateway',
    '-n',
    ns,
    '-o',
    'jsonpath={.spec.template.metadata.annotations.perpetual\\.ai/config-hash}',
  ]);
  return result.code === 0 && result.stdout !== '' ? result.stdout : undefined;
}

async function rotateEncryptionKey(value: string): Promise<void> {
  await cluster.kubectlOk([
    'patch',
    'secret',
    'enc',
    '-n',
    ns,
    '--type',
    'merge',
    '-p',
    JSON.stringify({ stringData: { API_KEY_ENCRYPTION_KEY: value } }),
  ]);
}

beforeAll(async () => {
  ns = await cluster.createNamespace('rotation');
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  // kubectl apply: the Secrets' values are also in their last-applied-configuration annotation.
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], secretsManifest());
  operator = await startOperator({
    kubeconfigPath: cluster.kubeconfigPath,
    env: { RESYNC_SECONDS: '3600', WAITING_REQUEUE_MS: '3600000' },
  });
});

afterAll(async () => {
  await operator.stop();
});

describe('a rotated Secret', () => {
  it('rolls the gateway within seconds', async () => {
    await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], perpetualDeployment('app'));
    const before = await eventually(async () => {
      const hash = await gatewayConfigHash();
      expect(hash).toBeDefined();
      return hash;
    });

    const rotatedAt = Date.now();
    await rotateEncryptionKey(ROTATED_KEY);
    await eventually(async () => {
      expect(await gatewayConfigHash()).not.toBe(before);
    }, ROLLS_WITHIN_MS);
    expect(Date.now() - rotatedAt).toBeLessThan(ROLLS_WITHIN_MS);
  });

  it('rolls it back when the old value returns, past the shared read of the new one', async () => {
    const rotated = await gatewayConfigHash();
    // Straight away: within the 2 s a read is shared (kube/secret-reader.ts), which the watch event ends.
    await rotateEncryptionKey(FERNET_KEY);
    await eventually(async () => {
      expect(await gatewayConfigHash()).not.toBe(rotated);
    }, ROLLS_WITHIN_MS);
  });
});

describe('the metadata-only Secret watch', () => {
  it('gets metadata, not values, from the API server on list and watch, and caches no value', async () => {
    const kc = cluster.kubeConfig();
    const informer = new ResourceInformer(kc, KubernetesObjectApi.makeApiClient(kc), Kinds.Secret, {
      log: pino({ level: 'silent' }),
      metadataOnly: true,
    });
    const events: KubernetesObject[] = [];
    informer.onChange((obj) => {
      if (obj.metadata?.namespace === ns) events.push(structuredClone(obj));
    });
    try {
      await informer.start();
      await informer.synced;
      const listed = informer.get('db', ns);
      expect(listed?.kind).toBe('PartialObjectMetadata');
      await rotateEncryptionKey(ROTATED_KEY);
      await eventually(() => {
        expect(events.some((e) => e.metadata?.name === 'enc' && e.kind === 'PartialObjectMetadata')).toBe(true);
      });
      const everything = JSON.stringify([...informer.list(), ...events]);
      for (const value of [FERNET_KEY, ROTATED_KEY, DB_URI, Buffer.from(DB_URI).toString('base64')])
        expect(everything).not.toContain(value);
      for (const secret of informer.list(ns)) expect(Object.keys(secret).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
    } finally {
      await informer.stop();
    }
  });
});
