// The operator survives an API-server restart, and two replicas elect exactly one leader that a
// standby replaces when it dies. A dedicated control plane: these tests restart it and kill leaders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { eventually } from '../support/eventually.ts';
import { perpetualDeployment, secretsManifest } from '../support/fixtures.ts';
import { startOperator, type OperatorProcess } from '../support/operator.ts';

let cp: ControlPlane;
const operators: OperatorProcess[] = [];

beforeAll(async () => {
  cp = await startControlPlane({ profile: 'api' });
  await cp.kubectl(['create', 'namespace', 'perpetual-system']);
  await cp.kubectl(['apply', '-f', '-'], secretsManifest());
});

afterAll(async () => {
  await Promise.all(operators.map((o) => o.stop()));
  await cp.stop();
});

async function operator(env: NodeJS.ProcessEnv = {}): Promise<OperatorProcess> {
  const op = await startOperator({ kubeconfigPath: cp.kubeconfigPath, env });
  operators.push(op);
  return op;
}

async function observedGeneration(name: string): Promise<number | undefined> {
  const result = await cp.kubectl(['get', 'pd', name, '-o', 'jsonpath={.status.observedGeneration}']);
  return result.code === 0 && result.stdout !== '' ? Number(result.stdout) : undefined;
}

async function leaseHolder(): Promise<string> {
  return (await cp.kubectl(['get', 'lease', 'perpetual-operator', '-n', 'perpetual-system', '-o', 'jsonpath={.spec.holderIdentity}']))
    .stdout;
}

async function isLeader(op: OperatorProcess): Promise<boolean> {
  return (await op.counter('perpetual_operator_leader')) === 1;
}

describe('leader election', () => {
  it('lets exactly one of two replicas lead; the standby takes over when the leader dies', async () => {
    const [a, b] = [await operator(), await operator()];
    await eventually(async () => {
      expect([await isLeader(a), await isLeader(b)].filter(Boolean)).toHaveLength(1);
    });
    const leader = (await isLeader(a)) ? a : b;
    const standby = leader === a ? b : a;
    expect(await leaseHolder()).toContain(String(leader.process.pid));
    // Only the leader reconciles.
    await cp.kubectl(['apply', '-f', '-'], perpetualDeployment('first'));
    await eventually(async () => {
      expect(await observedGeneration('first')).toBe(1);
    });
    expect(await standby.counter('perpetual_operator_reconcile_total')).toBe(0);

    const killedAt = Date.now();
    leader.process.kill('SIGKILL'); // no chance to release the lease
    await eventually(async () => {
      expect(await isLeader(standby)).toBe(true);
    }, 15_000);
    const takeoverMs = Date.now() - killedAt;
    // Lease duration is 3 s in tests; the takeover comes after it expires, not much later.
    expect(takeoverMs).toBeGreaterThanOrEqual(2500);
    expect(takeoverMs).toBeLessThan(8000);
    expect(await leaseHolder()).toContain(String(standby.process.pid));
    await cp.kubectl(['apply', '-f', '-'], perpetualDeployment('second'));
    await eventually(async () => {
      expect(await observedGeneration('second')).toBe(1);
    });
    await standby.stop();
  });
});

/**
 * Production lease timings: a leader that cannot renew for 10 s exits (as client-go's do) and its
 * pod restarts; a restart of a few seconds must be ridden out in place.
 */
const PRODUCTION_LEASE = {
  LEADER_ELECTION_LEASE_DURATION_MS: '15000',
  LEADER_ELECTION_RENEW_DEADLINE_MS: '10000',
  LEADER_ELECTION_RETRY_PERIOD_MS: '2000',
};

describe('API-server restart', () => {
  it('keeps reconciling after kube-apiserver goes away and comes back', async () => {
    const op = await operator(PRODUCTION_LEASE);
    await cp.kubectl(['apply', '-f', '-'], perpetualDeployment('before-restart'));
    await eventually(async () => {
      expect(await observedGeneration('before-restart')).toBe(1);
    });

    await cp.restartApiServer({ downMs: 2000 });
    // A change made after the restart must still be seen (watches re-established, not just resumed caches).
    await cp.kubectl(['apply', '-f', '-'], perpetualDeployment('after-restart'));
    await eventually(async () => {
      expect(await observedGeneration('after-restart')).toBe(1);
    }, 45_000);
    await cp.kubectl(['delete', 'configmap', 'before-restart-gateway-config']);
    await eventually(async () => {
      expect((await cp.kubectl(['get', 'configmap', 'before-restart-gateway-config'])).code).toBe(0);
    }, 30_000);
    expect(op.logs()).toContain('Watch failed; restarting');
    expect(op.process.exitCode).toBeNull();
    await op.stop();
  });
});

describe('a watch that fell behind (410 Gone)', () => {
  it('relists, and so notices a deletion it never received an event for', async () => {
    const op = await operator(PRODUCTION_LEASE);
    await cp.kubectl(['apply', '-f', '-'], perpetualDeployment('missed-delete'));
    // Up to one lease duration first, if an earlier test's leader did not release the lease.
    await eventually(async () => {
      expect(await observedGeneration('missed-delete')).toBe(1);
    }, 45_000);
    const configMapLists = async (): Promise<number> =>
      (await op.countersBy('perpetual_operator_informer_lists_total', 'kind')).get('ConfigMap') ?? 0;
    const listsBefore = await configMapLists();
    expect(listsBefore).toBeGreaterThanOrEqual(1);

    // Frozen, the operator cannot read anything: its watches die with the API server, and the
    // deletion happens on the new one, whose watch cache starts after the operator's last
    // resourceVersion. Resuming from there is answered 410 Gone; only a relist shows the deletion.
    op.process.kill('SIGSTOP');
    try {
      await cp.restartApiServer({ downMs: 500 });
      expect((await cp.kubectl(['delete', 'configmap', 'missed-delete-gateway-config'])).code).toBe(0);
    } finally {
      op.process.kill('SIGCONT');
    }
    await eventually(async () => {
      expect((await cp.kubectl(['get', 'configmap', 'missed-delete-gateway-config'])).code).toBe(0);
    }, 30_000);
    expect(await configMapLists()).toBeGreaterThan(listsBefore);
    expect(op.process.exitCode).toBeNull();
  });
});
