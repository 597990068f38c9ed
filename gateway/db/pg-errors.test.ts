import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './pg-errors.ts';
import { DatabaseError } from './redact.ts';

const coded = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', coded('connect ECONNREFUSED 10.0.0.5:5432', 'ECONNREFUSED')],
    ['an unresolvable host during a DNS hiccup', coded('getaddrinfo EAI_AGAIN db.internal', 'EAI_AGAIN')],
    ['an admin shutdown', coded('terminating connection due to administrator command', '57P01')],
    ['a server still starting', coded('the database system is starting up', '57P03')],
    ['too many connections', coded('sorry, too many clients already', '53300')],
    ['a connection failure', coded('connection failure', '08006')],
    ['a statement timeout', coded('canceling statement due to statement timeout', '57014')],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['a pool checkout timeout', new Error('timeout exceeded when trying to connect')],
    [
      'a connect timeout, with its cause',
      new Error('Connection terminated due to connection timeout', { cause: new Error('Connection terminated unexpectedly') }),
    ],
    ["the database layer's scrubbed error", new DatabaseError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    [
      'every address of a host refusing',
      new AggregateError([
        coded('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED'),
        coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      ]),
    ],
  ])('says yes for %s', (_label, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation', coded('duplicate key value', '23505')],
    ['a missing table', coded('relation "api_keys" does not exist', '42P01')],
    ['a bad password (a configuration error, not an outage)', coded('password authentication failed for user "gateway"', '28P01')],
    ['a bug', new TypeError('Cannot read properties of undefined')],
    ['a non-error', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('says no for %s', (_label, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});
