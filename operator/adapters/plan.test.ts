import { describe, expect, it } from 'vitest';
import { planReplica, type LoadFailure } from './plan.ts';

const sql = { name: 'sql', source: 'hf://org/sql' };
const fin = { name: 'fin', source: 'pvc://loras/fin' };
const none = new Map<string, LoadFailure>();

describe('planReplica', () => {
  it('loads what the replica lacks and unloads what the spec no longer lists, unloads first', () => {
    const present = new Map([['old', '/x/old']]);
    expect(planReplica([sql, fin], present, none, 0)).toEqual([
      { kind: 'unload', name: 'old' },
      { kind: 'load', name: 'fin', path: '/adapters/loras/fin' },
      { kind: 'load', name: 'sql', path: 'org/sql' },
    ]);
  });

  it('does nothing when the replica already holds the list: running the same plan twice is harmless', () => {
    const present = new Map([
      ['sql', 'org/sql'],
      ['fin', '/adapters/loras/fin'],
    ]);
    expect(planReplica([sql, fin], present, none, 0)).toEqual([]);
    // A server that does not say where an adapter came from is taken at its word.
    expect(planReplica([sql], new Map([['sql', '']]), none, 0)).toEqual([]);
  });

  it('reloads an adapter whose source changed', () => {
    expect(planReplica([sql], new Map([['sql', 'org/sql-old']]), none, 0)).toEqual([
      { kind: 'unload', name: 'sql' },
      { kind: 'load', name: 'sql', path: 'org/sql' },
    ]);
  });

  it('leaves a refused load alone until its retry time, but tries a changed source at once', () => {
    const failures = new Map([['sql', { source: 'hf://org/sql', message: 'No adapter found', retryAt: 1000 }]]);
    expect(planReplica([sql], new Map(), failures, 999)).toEqual([]);
    expect(planReplica([sql], new Map(), failures, 1000)).toEqual([{ kind: 'load', name: 'sql', path: 'org/sql' }]);
    expect(planReplica([{ name: 'sql', source: 'hf://org/sql-v2' }], new Map(), failures, 0)).toEqual([
      { kind: 'load', name: 'sql', path: 'org/sql-v2' },
    ]);
  });
});
