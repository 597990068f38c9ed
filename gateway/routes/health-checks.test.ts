import { describe, expect, it } from 'vitest';
import type { PoolSnapshot } from '../routing/replica-pool.ts';
import { modelServerProblems } from './health-checks.ts';

const replica = (ready: boolean, unhealthy = false, asleep = false) => ({ id: 'r', ready, inFlight: 0, unhealthy, asleep });
/** A consistent snapshot: eligible counts the ready replicas not skipped after a failure, as the pool does. */
function state(name: string, snapshot: Partial<PoolSnapshot>) {
  const replicas = snapshot.replicas ?? [];
  return {
    name,
    snapshot: {
      state: 'present' as const,
      held: 0,
      ...snapshot,
      replicas,
      eligible: replicas.filter((r) => r.ready && !r.unhealthy && !r.asleep).length,
    },
  };
}

describe('modelServerProblems', () => {
  it.each([
    { name: 'a ready replica', servers: [state('mistral', { replicas: [replica(false), replica(true)] })], problems: [] },
    {
      name: 'scaled to zero',
      servers: [state('mistral', {})],
      problems: ['ModelServer mistral has no replica (scaled to zero, or starting)'],
    },
    {
      name: 'replicas, none ready',
      servers: [state('mistral', { replicas: [replica(false), replica(true, true)] })],
      problems: ['ModelServer mistral: none of 2 replicas ready'],
    },
    {
      name: 'every ready replica asleep (standby)',
      servers: [state('mistral', { replicas: [replica(true, false, true), replica(false)] })],
      problems: ['ModelServer mistral: 1 replica asleep (standby: the next request wakes it)'],
    },
    { name: 'deleted', servers: [state('mistral', { state: 'absent' })], problems: ['ModelServer mistral not found'] },
    {
      name: 'every ModelServer, not only the first',
      servers: [state('mistral', { replicas: [replica(true)] }), state('bge', {})],
      problems: ['ModelServer bge has no replica (scaled to zero, or starting)'],
    },
  ])('$name', ({ servers, problems }) => {
    expect(modelServerProblems(servers)).toEqual(problems);
  });
});
