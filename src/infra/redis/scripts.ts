import type { Redis } from 'ioredis';

/*
 * The Lua scripts that change holds. Each one touches two keys of ONE event, `{event:<id>}:holds` and
 * `{event:<id>}:s:<session>`, which share the hash tag `{event:<id>}`: one slot, so the script is atomic
 * and runs unchanged on Redis Cluster.
 *
 * `{event:<id>}:holds` is a hash, seat ID -> "<sessionID>|<until ms>" for a hold, or "sold" for a seat
 * just confirmed (a tombstone that closes the gap between the database read of a lock and its script).
 *
 * Time: "now" and "until" come from the service's Clock, not Redis's. A hold is live while its stored
 * until > now, compared in the script, so a test clock far from wall time behaves exactly as the
 * database mode. The keys also get PX = until - now, so that without any cleanup job Redis drops them
 * on its own once the hold is over in wall time too (with the system clock both agree). Expired fields
 * left inside a hash that lives on (a busy event) read as free, and are at most one per seat.
 */

const PARSE = `
local function parse(v)
  if not v then return nil, 0 end
  local bar = string.find(v, '|', 1, true)
  if not bar then return v, 0 end
  return string.sub(v, 1, bar - 1), tonumber(string.sub(v, bar + 1))
end
`;

/**
 * All or nothing. ARGV: session, now, until, max seats, sold flags ('0'/'1' per requested seat, from the
 * database), requested seats... Returns {'unavailable', seats} | {'too-many', n} | {'ok', held after}.
 */
const ACQUIRE = `${PARSE}
local holds, mine = KEYS[1], KEYS[2]
local sid, now, max, sold = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4]), ARGV[5]
local ttl = tonumber(ARGV[3]) - now
local n = #ARGV - 5
local current = n > 0 and redis.call('HMGET', holds, unpack(ARGV, 6)) or {}
local unavailable = {}
for i = 1, n do
  local owner, till = parse(current[i])
  if string.sub(sold, i, i) == '1' or owner == 'sold' or (owner and owner ~= sid and till > now) then
    unavailable[#unavailable + 1] = ARGV[5 + i]
  end
end
if #unavailable > 0 then return {'unavailable', unavailable} end

local after, seen, stale = {}, {}, {}
for i = 6, #ARGV do
  if not seen[ARGV[i]] then seen[ARGV[i]] = true; after[#after + 1] = ARGV[i] end
end
for _, seat in ipairs(redis.call('SMEMBERS', mine)) do
  if not seen[seat] then
    local owner, till = parse(redis.call('HGET', holds, seat))
    if owner == sid and till > now then after[#after + 1] = seat; seen[seat] = true
    elseif owner == sid then stale[#stale + 1] = seat end
  end
end
if #after > max then return {'too-many', tostring(#after)} end

for _, seat in ipairs(stale) do redis.call('HDEL', holds, seat) end
local value = sid .. '|' .. ARGV[3]
for _, seat in ipairs(after) do redis.call('HSET', holds, seat, value) end
redis.call('DEL', mine)
if #after > 0 then
  redis.call('SADD', mine, unpack(after))
  redis.call('PEXPIRE', mine, ttl)
end
if redis.call('PTTL', holds) < ttl then redis.call('PEXPIRE', holds, ttl) end
return {'ok', after}
`;

/** ARGV: session, now, seats... (none: all the session holds in the event). Returns the live ones released. */
const RELEASE = `${PARSE}
local holds, mine = KEYS[1], KEYS[2]
local sid, now = ARGV[1], tonumber(ARGV[2])
local targets = {}
if #ARGV > 2 then
  for i = 3, #ARGV do targets[#targets + 1] = ARGV[i] end
else
  targets = redis.call('SMEMBERS', mine)
end
local released = {}
for _, seat in ipairs(targets) do
  if redis.call('SREM', mine, seat) == 1 then
    local owner, till = parse(redis.call('HGET', holds, seat))
    if owner == sid then
      redis.call('HDEL', holds, seat)
      if till > now then released[#released + 1] = seat end
    end
  end
end
return released
`;

/** ARGV: session. The seats the session holds in the event, live or expired (another's since are left out). */
const HELD_BY = `${PARSE}
local held = {}
for _, seat in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local owner = parse(redis.call('HGET', KEYS[1], seat))
  if owner == ARGV[1] then held[#held + 1] = seat end
end
return held
`;

/**
 * After a sale commits. ARGV: tombstone ms, seats... Marks the seats sold, whoever holds them now: a
 * lock whose database read came before the sale then still sees them taken.
 */
const FORGET = `
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('HSET', KEYS[1], ARGV[i], 'sold')
  redis.call('SREM', KEYS[2], ARGV[i])
end
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 0
`;

type Arg = string | number;

/** The scripts as client methods: ioredis sends EVALSHA and falls back to EVAL after a Redis restart. */
export interface HoldScripts {
  holdAcquire(holds: string, mine: string, ...argv: Arg[]): Promise<[string, string[] | string]>;
  holdRelease(holds: string, mine: string, ...argv: Arg[]): Promise<string[]>;
  holdHeldBy(holds: string, mine: string, sessionId: string): Promise<string[]>;
  holdForget(holds: string, mine: string, ...argv: Arg[]): Promise<number>;
}

export function defineHoldScripts(redis: Redis): void {
  redis.defineCommand('holdAcquire', { numberOfKeys: 2, lua: ACQUIRE });
  redis.defineCommand('holdRelease', { numberOfKeys: 2, lua: RELEASE });
  redis.defineCommand('holdHeldBy', { numberOfKeys: 2, lua: HELD_BY });
  redis.defineCommand('holdForget', { numberOfKeys: 2, lua: FORGET });
}

/** Every key of one event shares the hash tag `{event:<id>}`; a session's event index has its own. */
export const keys = {
  holds: (eventId: string) => `{event:${eventId}}:holds`,
  mine: (eventId: string, sessionId: string) => `{event:${eventId}}:s:${sessionId}`,
  sessionEvents: (sessionId: string) => `{session:${sessionId}}:events`,
  /** Sessions with holds, scored by their latest deadline: what the dead-session sweep walks. */
  holders: 'holders',
};
