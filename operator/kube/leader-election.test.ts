// Leader election against a fake Lease API whose calls can be made to hang, as over a half-open
// connection: the leader must give up within its renew deadline, not when the call returns.
import { ApiException, type ConfigurationOptions, type RequestContext, type V1Lease } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaderElector, type LeaseApi } from './leader-election.ts';

const OPTIONS = {
  namespace: 'perpetual-system',
  name: 'perpetual-operator',
  identity: 'me',
  leaseDurationMs: 600,
  renewDeadlineMs: 300,
  retryPeriodMs: 50,
};

/** A Lease store in memory; `hang` makes every later call never answer (but see its abort signal). */
function fakeLeaseApi() {
  let lease: V1Lease | undefined;
  const state = { hang: false, calls: 0, signals: [] as AbortSignal[] };
  const call = <T>(options: ConfigurationOptions | undefined, answer: () => T): Promise<T> => {
    state.calls++;
    // Run the client's middleware as client-node would, to see the signal it would give fetch.
    const pre = (options?.middleware as { pre?: (c: RequestContext) => unknown }[] | undefined)?.[0]?.pre;
    pre?.({ setSignal: (signal: AbortSignal) => state.signals.push(signal) } as unknown as RequestContext);
    return state.hang ? new Promise<T>(() => undefined) : Promise.resolve().then(answer);
  };
  const api: LeaseApi = {
    readNamespacedLease: (_param, options) =>
      call(options, () => {
        if (!lease) throw new ApiException(404, 'not found', {}, {});
        return structuredClone(lease);
      }),
    createNamespacedLease: (param, options) => call(options, () => (lease = structuredClone(param.body))),
    replaceNamespacedLease: (param, options) => call(options, () => (lease = structuredClone(param.body))),
  };
  return { api, state };
}

const silent = pino({ level: 'silent' });
const electors: LeaderElector[] = [];

function elector(api: LeaseApi): LeaderElector {
  const e = new LeaderElector(api, OPTIONS, silent);
  electors.push(e);
  return e;
}

/** 'returned' if `pending` settled within `ms`, else 'waiting'. */
async function within(ms: number, pending: Promise<void>): Promise<'returned' | 'waiting'> {
  return Promise.race([
    pending.then(() => 'returned' as const),
    new Promise<'waiting'>((r) =>
      setTimeout(() => {
        r('waiting');
      }, ms),
    ),
  ]);
}

afterEach(async () => {
  for (const e of electors.splice(0)) await e.release();
});

describe('LeaderElector', () => {
  it('keeps the lease while renewals succeed', async () => {
    const { api } = fakeLeaseApi();
    const leader = elector(api);
    await leader.acquire();
    expect(await within(OPTIONS.renewDeadlineMs * 3, leader.holdUntilLost())).toBe('waiting');
  });

  it('steps down within the renew deadline while a renewal hangs, and aborts that request', async () => {
    const { api, state } = fakeLeaseApi();
    const leader = elector(api);
    await leader.acquire();
    state.hang = true;
    const started = Date.now();
    // Well before leaseDuration, when a standby could take the lease over.
    expect(await within(OPTIONS.leaseDurationMs, leader.holdUntilLost())).toBe('returned');
    expect(Date.now() - started).toBeLessThan(OPTIONS.leaseDurationMs);
    expect(Date.now() - started).toBeGreaterThanOrEqual(OPTIONS.renewDeadlineMs - 20);
    const hung = state.signals.at(-1);
    expect(hung?.aborted).toBe(true);
  });

  it('gives a release that hangs up after the renew deadline, so a shutdown cannot hang on it', async () => {
    const { api, state } = fakeLeaseApi();
    const leader = elector(api);
    await leader.acquire();
    state.hang = true;
    expect(await within(OPTIONS.renewDeadlineMs * 2, leader.release())).toBe('returned');
  });
});
