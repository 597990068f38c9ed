import { describe, expect, it } from 'vitest';
import { decideSupersessions } from './supersede.ts';

const DAY = 86_400_000;

describe('decideSupersessions', () => {
  it('a later fact about the same subject supersedes the stored one', () => {
    expect(
      decideSupersessions(
        [{ id: 'new', subject: 'user.home_city', at: 10 * DAY, supersedes: [] }],
        [
          { id: 'old', subject: 'user.home_city', at: DAY },
          { id: 'other', subject: 'user.employer', at: DAY },
          { id: 'loose', subject: undefined, at: DAY },
        ],
      ),
    ).toEqual([{ id: 'old', by: 'new' }]);
  });

  it('an older statement extracted late is itself superseded, not the newer one', () => {
    expect(
      decideSupersessions(
        [{ id: 'late', subject: 'user.home_city', at: DAY, supersedes: [] }],
        [{ id: 'current', subject: 'user.home_city', at: 5 * DAY }],
      ),
    ).toEqual([{ id: 'late', by: 'current' }]);
  });

  it('within a batch, the last statement about a subject stands', () => {
    expect(
      decideSupersessions(
        [
          { id: 'a', subject: 'user.car', at: DAY, supersedes: [] },
          { id: 'b', subject: 'user.car', at: DAY, supersedes: [] },
        ],
        [],
      ),
    ).toEqual([{ id: 'a', by: 'b' }]);
  });

  it('follows the extractor for shown facts only, and never backwards in time', () => {
    const stored = [
      { id: 'k1', subject: undefined, at: DAY },
      { id: 'k2', subject: undefined, at: 9 * DAY },
    ];
    expect(decideSupersessions([{ id: 'n', subject: undefined, at: 5 * DAY, supersedes: ['k1', 'k2', 'not-shown', 'n'] }], stored)).toEqual(
      [{ id: 'k1', by: 'n' }],
    );
  });

  it('supersedes nothing when nothing conflicts', () => {
    expect(
      decideSupersessions([{ id: 'n', subject: 'user.pet', at: DAY, supersedes: [] }], [{ id: 'o', subject: 'user.car', at: 0 }]),
    ).toEqual([]);
    expect(decideSupersessions([], [])).toEqual([]);
  });
});
