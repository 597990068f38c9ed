// The one Redis script behind every rate-limit check: read both counters, decide, and only if
// the request is allowed increment both, all atomically on the server. One round trip, no
// read-then-write race between replicas, and a refused request never consumes quota (so a
// client hammering a closed window does not push its own reset further away).
import { createHash } from 'node:crypto';

// KEYS[1] minute counter, KEYS[2] day counter.
// ARGV[1] minute limit, ARGV[2] day limit, ARGV[3] minute TTL ms, ARGV[4] day TTL ms,
// ARGV[5] "1" to count this request, "0" to only look.
// Returns {allowed (1|0), minute count, day count}; counts include this request when allowed.
export const RATE_LIMIT_SCRIPT = `
local minute = tonumber(redis.call('GET', KEYS[1]) or '0')
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
if minute >= tonumber(ARGV[1]) or day >= tonumber(ARGV[2]) then
  return {0, minute, day}
end
if ARGV[5] ~= '1' then
  return {1, minute, day}
end
minute = redis.call('INCR', KEYS[1])
if minute == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
day = redis.call('INCR', KEYS[2])
if day == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return {1, minute, day}
`;

/** EVALSHA needs the SHA-1 of the exact script text Redis would cache. */
export const RATE_LIMIT_SCRIPT_SHA = createHash('sha1').update(RATE_LIMIT_SCRIPT).digest('hex');

export interface ScriptReply {
  allowed: boolean;
  minuteCount: number;
  dayCount: number;
}

/** Checks the reply's shape rather than trusting it: a wrong reply counts as a Redis failure. */
export function parseScriptReply(reply: unknown): ScriptReply {
  if (!Array.isArray(reply) || reply.length !== 3 || !reply.every((n) => typeof n === 'number')) {
    throw new Error('Unexpected reply from the rate-limit script');
  }
  const [allowed, minuteCount, dayCount] = reply as [number, number, number];
  return { allowed: allowed === 1, minuteCount, dayCount };
}
