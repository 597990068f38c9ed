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
// Money budgets (optional, after the token arguments): ARGV[9] the number B of budget counters,
// ARGV[10] the micro-dollars to reserve, ARGV[10+i] the limit of counter i in micro-dollars;
// KEYS[4+i] the counters. A budget counter that does not exist (a new window, or a Redis that
// lost its data) is not guessed at: the script counts nothing and answers 2 so the gateway
// rebuilds it from usage_logs first (RateLimiter.rebuild).
// Returns {allowed (1|0|2), minute count, day count, minute tokens, day tokens, budget spends...};
// counts include this request when allowed, a missing budget counter reads -1. A window with
// tokens or money left admits the request and takes its whole reservation, so concurrent
// requests overshoot a token limit or a budget by at most one reservation.
export const RATE_LIMIT_SCRIPT = `
local minute = tonumber(redis.call('GET', KEYS[1]) or '0')
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
local tokMinuteLimit = tonumber(ARGV[6] or '0')
local tokDayLimit = tonumber(ARGV[7] or '0')
local tokMinute = 0
local tokDay = 0
if tokMinuteLimit > 0 then tokMinute = tonumber(redis.call('GET', KEYS[3]) or '0') end
if tokDayLimit > 0 then tokDay = tonumber(redis.call('GET', KEYS[4]) or '0') end
local budgets = tonumber(ARGV[9] or '0')
local spent = {}
local over = false
for i = 1, budgets do
  local value = redis.call('GET', KEYS[4 + i])
  if not value then
    spent[i] = -1
    over = 'missing'
  else
    spent[i] = tonumber(value)
    if over ~= 'missing' and spent[i] >= tonumber(ARGV[10 + i]) then over = true end
  end
end
if over == 'missing' then
  return {2, minute, day, tokMinute, tokDay, unpack(spent)}
end
if over or minute >= tonumber(ARGV[1]) or day >= tonumber(ARGV[2])
  or (tokMinuteLimit > 0 and tokMinute >= tokMinuteLimit)
  or (tokDayLimit > 0 and tokDay >= tokDayLimit) then
  return {0, minute, day, tokMinute, tokDay, unpack(spent)}
end
if ARGV[5] ~= '1' then
  return {1, minute, day, tokMinute, tokDay, unpack(spent)}
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
local reserveMoney = tonumber(ARGV[10] or '0')
if reserveMoney > 0 then
  for i = 1, budgets do spent[i] = redis.call('INCRBY', KEYS[4 + i], reserveMoney) end
end
return {1, minute, day, tokMinute, tokDay, unpack(spent)}
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

// Settles a money reservation to the real cost and reports which budgets crossed their soft
// threshold for the first time in their window, across every replica: the first settle to see a
// counter at or past the threshold wins a SET NX on the budget's flag key (which names the limit,
// so a raised limit warns again), and only that one reports it.
// KEYS[1..B] the budget counters, KEYS[B+1..2B] their flag keys; ARGV[1] the difference in
// micro-dollars, ARGV[1+i] counter i's soft threshold (0: none), ARGV[1+B+i] its flag TTL in ms
// (0: none, for the lifetime window). A counter that has expired or been lost is left alone.
// Returns {spend_1, crossed_1, spend_2, crossed_2, ...}: spend -1 when the counter is missing.
export const BUDGET_SETTLE_SCRIPT = `
local n = #KEYS / 2
local out = {}
for i = 1, n do
  local spend = -1
  local crossed = 0
  if redis.call('EXISTS', KEYS[i]) == 1 then
    spend = redis.call('INCRBY', KEYS[i], ARGV[1])
    local soft = tonumber(ARGV[1 + i])
    if soft > 0 and spend >= soft then
      local ttl = tonumber(ARGV[1 + n + i])
      local won
      if ttl > 0 then won = redis.call('SET', KEYS[n + i], spend, 'NX', 'PX', ttl)
      else won = redis.call('SET', KEYS[n + i], spend, 'NX') end
      if won then crossed = 1 end
    end
  end
  out[2 * i - 1] = spend
  out[2 * i] = crossed
end
return out
`;

// Creates missing budget counters with the spend rebuilt from usage_logs, each only if it still
// does not exist (SET NX: a concurrent rebuild or a settle that came first is kept).
// KEYS[i] a counter; ARGV[2i-1] its value in micro-dollars, ARGV[2i] its TTL in ms (0: none).
export const REBUILD_SCRIPT = `
for i = 1, #KEYS do
  local ttl = tonumber(ARGV[2 * i])
  if ttl > 0 then redis.call('SET', KEYS[i], ARGV[2 * i - 1], 'NX', 'PX', ttl)
  else redis.call('SET', KEYS[i], ARGV[2 * i - 1], 'NX') end
end
return 1
`;

export const REBUILD_SCRIPT_SHA = createHash('sha1').update(REBUILD_SCRIPT).digest('hex');

export const BUDGET_SETTLE_SCRIPT_SHA = createHash('sha1').update(BUDGET_SETTLE_SCRIPT).digest('hex');

/** EVALSHA needs the SHA-1 of the exact script text Redis would cache. */
export const RATE_LIMIT_SCRIPT_SHA = createHash('sha1').update(RATE_LIMIT_SCRIPT).digest('hex');

export interface ScriptReply {
  allowed: boolean;
  /** A budget counter is missing: nothing was counted; rebuild it and ask again. */
  rebuild?: boolean;
  /** Micro-dollars spent (and reserved) per budget counter, in request order; -1: missing. */
  budgetSpent?: number[];
  minuteCount: number;
  dayCount: number;
  /** Tokens counted in the minute and day windows (0 when those limits are off). */
  minuteTokens?: number;
  dayTokens?: number;
}

/** Checks the reply's shape rather than trusting it: a wrong reply counts as a Redis failure. */
export function parseScriptReply(reply: unknown): ScriptReply {
  if (!Array.isArray(reply) || (reply.length !== 3 && reply.length < 5) || !reply.every((n) => typeof n === 'number')) {
    throw new Error('Unexpected reply from the rate-limit script');
  }
  const [allowed, minuteCount = 0, dayCount = 0, minuteTokens, dayTokens, ...budgetSpent]: number[] = reply;
  return {
    allowed: allowed === 1,
    ...(allowed === 2 ? { rebuild: true } : {}),
    minuteCount,
    dayCount,
    ...(minuteTokens === undefined ? {} : { minuteTokens, dayTokens: dayTokens ?? 0 }),
    ...(budgetSpent.length > 0 ? { budgetSpent } : {}),
  };
}
