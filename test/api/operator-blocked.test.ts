// What stops a stack until a human acts, as a running operator reports it: a spec value that does
// not parse (InvalidSpec, naming the field, never retried in a loop), a generated Secret's name
// taken by someone else's Secret (SecretNotOwned, its value never used); and credentials in an
// external URL, which never reach status, events or logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { testCluster } from '../support/kube.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

const cluster = testCluster();
let ns = '';
let operator: OperatorProcess;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Obj {
  metadata: { name: string; uid: string; ownerReferences?: { uid: string }[] };
  status?: { phase?: string; phaseReason?: string; conditions?: Condition[] };
}

async function get(resource: string): Promise<Obj> {
  return JSON.parse(await cluster.kubectlOk(['get', resource, '-n', ns, '-o', 'json'])) as Obj;
}

function conditionOf(obj: Obj, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

async function apply(manifest: string): Promise<void> {
  await cluster.kubectlOk(['apply', '-n', ns, '-f', '-'], manifest);
}

async function eventsAbout(name: string): Promise<string> {
  return cluster.kubectlOk(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${name}`, '-o', 'json']);
}

beforeAll(async () => {
  ns = await cluster.createNamespace('blocked');
  await cluster.kubectl(['create', 'namespace', 'perpetual-system']);
  await apply(secretsManifest());
  operator = await startOperator({ kubeconfigPath: cluster.kubeconfigPath });
});

afterAll(async () => {
  await operator.stop();
});

describe('credentials in an external URL', () => {
  it('never appear in status, events or logs', async () => {
    await apply(
      perpetualDeployment('qcreds', {
        vectorStore: { type: 'external', external: { url: 'https://admin:s3cret@qdrant.example:6333' } },
        models: [{ name: 'groq', provider: 'openai-compatible', baseURL: 'https://api.groq.example/openai/v1?api_key=s3cret' }],
      }),
    );
    const pd = await eventually(async () => {
      const obj = await get('pd/qcreds');
      expect(conditionOf(obj, 'VectorStoreReady')).toMatchObject({
        status: 'True',
        message: 'Using the external Qdrant at https://***@qdrant.example:6333.',
      });
      return obj;
    });
    expect(JSON.stringify(pd.status)).not.toContain('s3cret');
    await eventually(async () => {
      expect(await eventsAbout('qcreds')).toContain('"reason"');
    });
    expect(await eventsAbout('qcreds')).not.toContain('s3cret');
    expect(operator.logs()).not.toContain('s3cret');
  });
});

describe('a spec value that does not parse', () => {
  it('is named in status as InvalidSpec, without its password, and not retried in a loop', async () => {
    // Matches the schema's ^rediss?://.+ but is no URL: the port is not a number.
    const errorsBefore = await operator.counter('perpetual_operator_reconcile_errors_total');
    await apply(
      perpetualDeployment('badredis', { cache: { type: 'external', external: { url: 'redis://default:s3cret@cache.example:port' } } }),
    );
    const message = 'spec.cache.external.url "redis://***@cache.example:port" is not a valid URL.';
    const pd = await eventually(async () => {
      const obj = await get('pd/badredis');
      expect(conditionOf(obj, 'CacheReady')).toMatchObject({ status: 'False', reason: 'InvalidSpec', message });
      return obj;
    });
    expect(conditionOf(pd, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec', message });
    expect(conditionOf(pd, 'Ready')?.status).toBe('False');
    expect(pd.status?.phase).toBe('Failed');
    expect(pd.status?.phaseReason).toBe(message);
    // Nothing was built from it.
    expect((await cluster.kubectl(['get', 'deploy/badredis-gateway', '-n', ns])).stderr).toContain('NotFound');
    await eventually(async () => {
      expect(await eventsAbout('badredis')).toContain('InvalidSpec');
    });
    expect(await eventsAbout('badredis')).not.toContain('s3cret');
    // Terminal until the spec changes: no error, no backoff growing towards minutes.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await operator.counter('perpetual_operator_reconcile_errors_total')).toBe(errorsBefore);
    expect(operator.logs()).not.toContain('s3cret');

    await apply(perpetualDeployment('badredis', { cache: { type: 'external', external: { url: 'redis://cache.example:6379' } } }));
    await eventually(async () => {
      const obj = await get('pd/badredis');
      expect(conditionOf(obj, 'CacheReady')).toMatchObject({ status: 'True', reason: 'External' });
      expect(conditionOf(obj, 'Stalled')?.status).toBe('False');
      expect((await get('deploy/badredis-gateway')).metadata.name).toBe('badredis-gateway');
    });
  });
});

describe('an admin token Secret someone else made', () => {
  it('stops the stack, names the Secret and says how to fix it, and never uses it', async () => {
    await cluster.kubectlOk(['create', 'secret', 'generic', 'squat-admin-token', '-n', ns, '--from-literal=token=someone-elses-token']);
    await apply(perpetualDeployment('squat'));
    const pd = await eventually(async () => {
      const obj = await get('pd/squat');
      expect(conditionOf(obj, 'GatewayReady')).toMatchObject({ status: 'False', reason: 'SecretNotOwned' });
      return obj;
    });
    const message = conditionOf(pd, 'GatewayReady')?.message ?? '';
    expect(message).toContain('Secret "squat-admin-token" already exists and has no controller');
    expect(message).toContain('Delete that Secret');
    expect(conditionOf(pd, 'Stalled')).toMatchObject({ status: 'True', reason: 'SecretNotOwned' });
    expect(pd.status?.phase).toBe('Failed');
    // No gateway reads it, and it was neither adopted nor changed.
    expect((await cluster.kubectl(['get', 'deploy/squat-gateway', '-n', ns])).stderr).toContain('NotFound');
    const secret = await get('secret/squat-admin-token');
    expect(secret.metadata.ownerReferences).toBeUndefined();

    // Deleting it is the fix: a generated one replaces it and the stack is built.
    await cluster.kubectlOk(['delete', 'secret', 'squat-admin-token', '-n', ns]);
    await eventually(async () => {
      const obj = await get('pd/squat');
      expect(conditionOf(obj, 'GatewayReady')?.reason).not.toBe('SecretNotOwned');
      expect((await get('secret/squat-admin-token')).metadata.ownerReferences?.[0]?.uid).toBe(obj.metadata.uid);
      expect((await get('deploy/squat-gateway')).metadata.name).toBe('squat-gateway');
    });
    expect(operator.logs()).not.toContain('someone-elses-token');
  });
});
