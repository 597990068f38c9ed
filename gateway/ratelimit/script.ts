// The one Redis script behind every rate-limit check: read both counters, decide, and only if
// the request is allowed increment both, all atomically on the server. One round trip, no
// read-then-write race between replicas, and a refused request never consumes quota (so a
// client hammering a closed window does not push its own reset further away).
import { createHash } from 'node:crypto';

// KEYS[1] minute counter, KEYS[2] day counter, KEYS[3] minute tokens, KEYS[4] day tokens.
// ARGV[1] minute limit, ARGV[2] day limit, ARGV[3] minute TTL ms, ARGV[4] day TTL ms,
// ARGV[5] "1" to count this request, "0" to only look,
// ARGV[6] minute token limit, ARGV[7] day token limit (0: not limited; the token keys are then
// not read, so a requests-only check costs what it did), ARGV[8] tokens to reserve.
// Returns {allowed (1|0), minute count, day count, minute tokens, day tokens}; counts include this
// request when allowed. A window with tokens left admits the request and takes its whole
// reservation, so concurrent requests overshoot a token limit by at most one reservation.
export const RATE_LIMIT_SCRIPT = `
local minute = tonumber(redis.call('GET', KEYS[1]) or '0')
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
local tokMinuteLimit = tonumber(ARGV[6] or '0')
local tokDayLimit = tonumber(ARGV[7] or '0')
local tokMinute = 0
local tokDay = 0
if tokMinuteLimit > 0 then tokMinute = tonumber(redis.call('GET', KEYS[3]) or '0') end
if tokDayLimit > 0 then tokDay = tonumber(redis.call('GET', KEYS[4]) or '0') end
if minute >= tonumber(ARGV[1]) or day >= tonumber(ARGV[2])
  or (tokMinuteLimit > 0 and tokMinute >= tokMinuteLimit)
  or (tokDayLimit > 0 and tokDay >= tokDayLimit) then
  return {0, minute, day, tokMinute, tokDay}
end
if ARGV[5] ~= '1' then
  return {1, minute, day, tokMinute, tokDay}
end
minute = redis.call('INCR', KEYS[1])
if minute == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
day = redis.call('INCR', KEYS[2])
if day == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
local reserve = tonumber(ARGV[8] or '0')
if reserve > 0 then
  if tokMinuteLimit > 0 then
    tokMinute = redis.call('INCRBY', KEYS[3], reserve)
    if tokMinute == reserve then redis.call('PEXPIRE', KEYS[3], ARGV[3]) end
  end
  if tokDayLimit > 0 then
    tokDay = redis.call('INCRBY', KEYS[4], reserve)
    if tokDay == reserve then redis.call('PEXPIRE', KEYS[4], ARGV[4]) end
  end
end
return {1, minute, day, tokMinute, tokDay}
`;

// Settles a reservation once the real usage is known: adds (real - reserved), which may be
// negative, to the token counters of the windows the reservation was taken in. A counter that has
// expired meanwhile is left alone rather than recreated without a TTL.
// KEYS[1] minute tokens, KEYS[2] day tokens; ARGV[1] the difference.
export const SETTLE_SCRIPT = `
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBY', KEYS[i], ARGV[1]) end
end
return 1
`;

export const SETTLE_SCRIPT_SHA = createHash('sha1').update(SETTLE_SCRIPT).digest('hex');

/** EVALSHA needs the SHA-1 of the exact script text Redis would cache. */
export const RATE_LIMIT_SCRIPT_SHA = createHash('sha1').update(RATE_LIMIT_SCRIPT).digest('hex');

export interface ScriptReply {
  allowed: boolean;
  minuteCount: number;
  dayCount: number;
  /** Tokens counted in the minute and day windows (0 when those limits are off). */
  minuteTokens?: number;
  dayTokens?: number;
}

/** Checks the reply's shape rather than trusting it: a wrong reply counts as a Redis failure. */
export function parseScriptReply(reply: unknown): ScriptReply {
  if (!Array.isArray(reply) || (reply.length !== 3 && reply.length !== 5) || !reply.every((n) => typeof n === 'number')) {
    throw new Error('Unexpected reply from the rate-limit script');
  }
  const [allowed, minuteCount, dayCount, minuteTokens, dayTokens] = reply as [number, number, number, number?, number?];
  return {
    allowed: allowed === 1,
    minuteCount,
    dayCount,
    ...(minuteTokens === undefined ? {} : { minuteTokens, dayTokens: dayTokens ?? 0 }),
  };
}
