import type { Cluster, Redis } from 'ioredis';
import { defineScripts } from './script-commands.js';

/*
 * The Lua scripts of the Redis hold store. Each touches keys of ONE hash slot only (the keys share a
 * hash tag), so it is atomic and runs unchanged on Redis Cluster; the one exception, the session's check
 * and the hold in one script, is sent to a single Redis only:
 *
 *   {event:<id>}:holds    hash, seat ID -> "<sessionID>|<until ms>|<hold began ms>" for a hold, "sold" for
 *                         a seat sold (kept for good: the lock path never asks the database), and the
 *                         field `_ready` once the event's sold seats were loaded from the database
 *                         (a long value: it keeps the hash a hash table, see LOAD_SOLD).
 *   {event:<id>}:s:<sid>  set, the seats the session holds in the event.
 *   {event:<id>}:gone     sorted set, sessions that ended lately, by when: a lock that checked its
 *                         session just before a logout still sees it here, in its own slot.
 *   {event:<id>}:area:<a> list, the place IDs of a standing area (they never change): where a lock of
 *                         places looks for free ones. A place is held and sold in `holds` as a seat is.
 *   {event:<id>}:heads    hash, area ID -> how many places at the head of its list were sold when a lock
 *                         last walked it: the next walk starts there, so picking places stays short
 *                         near a sell-out. Sold places stay sold; a refund (or a reload) deletes it.
 *   {session:<hash>}      hash of a session (by the SHA-256 of its token, as the database keys it):
 *                         id, exp (ms; the database's expiry), ended.
 *   {session:<hash>}:events  set, the events the session has locked in: what a logout must visit.
 *
 * There is no key that every lock touches: the hot keys are per event and per session.
 *
 * Time: "now" and deadlines come from the service's Clock, not Redis's, so a test clock far from wall
 * time behaves exactly as the database mode. Keys that should go away on their own get PX durations
 * (deadline - now), which agree with wall time under the system clock.
 */

const PARSE = `
local function parse(v)
  if not v then return nil, 0, 0 end
  if v == 'sold' then return 'sold', 0, 0 end
  local a = string.find(v, '|', 1, true)
  local b = string.find(v, '|', a + 1, true)
  return string.sub(v, 1, a - 1), tonumber(string.sub(v, a + 1, b - 1)), tonumber(string.sub(v, b + 1))
end
`;

/**
 * The session of a token, checked and (optionally) registered as locking in an event.
 * KEYS: session, its events. ARGV: now, refresh-before, event ID or '', events TTL ms.
 * Returns {'miss'} (not in Redis: ask the database), {'dead'}, or {'ok', id, exp, due}: due = '1' when
 * the stored expiry lags enough to be moved (by the caller: the database first, then `sessionExtend`).
 */
const SESSION_TOUCH_FN = `
local function session_touch(KEYS, ARGV)
local v = redis.call('HMGET', KEYS[1], 'id', 'exp', 'ended')
if not v[1] and not v[3] then return {'miss'} end
-- Registered even for a session that is over: a hold sent alongside this check may have been made, and
-- the sweep of ended sessions releases it in the events found here.
-- Every lock asks the same TTL (the hold's plus a margin), so an event new to the set sets it outright.
if ARGV[3] ~= '' then
  if redis.call('SADD', KEYS[2], ARGV[3]) == 1 or redis.call('PTTL', KEYS[2]) < tonumber(ARGV[4]) then
    redis.call('PEXPIRE', KEYS[2], ARGV[4])
  end
end
if v[3] or tonumber(v[2]) <= tonumber(ARGV[1]) then return {'dead'} end
local due = tonumber(v[2]) < tonumber(ARGV[2]) and '1' or '0'
return {'ok', v[1], v[2], due}
end
`;
const SESSION_TOUCH = `${SESSION_TOUCH_FN} return session_touch(KEYS, ARGV)`;

/** Puts a session read from the database into Redis, unless Redis already knows it (it may have ended). */
const SESSION_LOAD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'exp', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/** Moves a live session's expiry forward (never back). ARGV: exp ms, TTL ms. */
const SESSION_EXTEND = `
local v = redis.call('HMGET', KEYS[1], 'exp', 'ended')
if v[2] or not v[1] or tonumber(v[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'exp', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Marks a session ended (for good, even if Redis did not know it). Returns the events to release it in. */
const SESSION_END = `
redis.call('HSET', KEYS[1], 'ended', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local events = redis.call('SMEMBERS', KEYS[2])
redis.call('DEL', KEYS[2])
return events
`;

/**
 * All or nothing. KEYS: holds, mine, gone, heads, then one list per area asked for (its place IDs). ARGV:
 * session, now, until, hold cap ms, max seats, number of areas, (area ID, quantity) per area, seats...
 * Returns {'load'} (sold seats or an area's places not yet loaded: load them, then ask again),
 * {'no-session'}, {'unavailable', seats}, {'sold-out', areas}, {'too-many', n} or
 * {'ok', held after, deadline}. Places are picked in the area's list order, skipping sold and held ones.
 */
const ACQUIRE_FN = `
local function acquire(KEYS, ARGV)
local holds, mine, gone, heads = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local sid, now, ttl_end, cap, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local areas = tonumber(ARGV[6])
local first = 7 + 2 * areas
if redis.call('HEXISTS', holds, '_ready') == 0 then return {'load'} end
for a = 1, areas do
  if redis.call('EXISTS', KEYS[4 + a]) == 0 then return {'load'} end
end
if redis.call('ZSCORE', gone, sid) then return {'no-session'} end
local n = #ARGV - first + 1
local current = n > 0 and redis.call('HMGET', holds, unpack(ARGV, first)) or {}
local unavailable = {}
for i = 1, n do
  local owner, till = parse(current[i])
  if owner == 'sold' or (owner and owner ~= sid and till > now) then
    unavailable[#unavailable + 1] = ARGV[first - 1 + i]
  end
end
if #unavailable > 0 then return {'unavailable', unavailable} end

local after, seen, stale, began = {}, {}, {}, nil
for i = first, #ARGV do
  if not seen[ARGV[i]] then seen[ARGV[i]] = true; after[#after + 1] = ARGV[i] end
end
local held_before = redis.call('SMEMBERS', mine)
for _, seat in ipairs(held_before) do
  local owner, till, since = parse(redis.call('HGET', holds, seat))
  if owner == sid and till > now then
    if not began or since < began then began = since end
    if not seen[seat] then after[#after + 1] = seat; seen[seat] = true end
  elseif owner == sid and not seen[seat] then stale[#stale + 1] = seat end
end

local sold_out = {}
for a = 1, areas do
  local list, area, want, got = KEYS[4 + a], ARGV[5 + 2 * a], tonumber(ARGV[6 + 2 * a]), {}
  local len = redis.call('LLEN', list)
  local start = tonumber(redis.call('HGET', heads, area) or '0')
  local from, sold_head, all_sold = start, start, true
  while #got < want and from < len do
    local ids = redis.call('LRANGE', list, from, from + 199)
    local values = redis.call('HMGET', holds, unpack(ids))
    for i = 1, #ids do
      local owner, till = parse(values[i])
      if owner ~= 'sold' then all_sold = false elseif all_sold then sold_head = from + i end
      if not seen[ids[i]] and (not owner or (owner ~= 'sold' and till <= now)) then
        got[#got + 1] = ids[i]
        if #got == want then break end
      end
    end
    from = from + 200
  end
  if sold_head > start then redis.call('HSET', heads, area, sold_head) end
  if #got < want then
    sold_out[#sold_out + 1] = area
  else
    for _, id in ipairs(got) do seen[id] = true; after[#after + 1] = id end
  end
end
if #sold_out > 0 then return {'sold-out', sold_out} end
if #after > max then return {'too-many', tostring(#after)} end

began = began or now
local deadline = math.min(ttl_end, began + cap)
for _, seat in ipairs(stale) do
  if not seen[seat] then redis.call('HDEL', holds, seat) end
end
local value = sid .. '|' .. deadline .. '|' .. began
local fields = {}
for _, seat in ipairs(after) do fields[#fields + 1] = seat; fields[#fields + 1] = value end
if #fields > 0 then redis.call('HSET', holds, unpack(fields)) end
if #held_before > 0 then redis.call('DEL', mine) end
if #after > 0 then
  redis.call('SADD', mine, unpack(after))
  redis.call('PEXPIRE', mine, math.max(deadline - now, 1))
end
return {'ok', after, tostring(deadline)}
end
`;
const ACQUIRE = `${PARSE}${ACQUIRE_FN} return acquire(KEYS, ARGV)`;

/**
 * The session's check and the hold as one script, for a single Redis only: its keys lie in two slots
 * (the session's and the event's), which a Cluster refuses. KEYS: session, its events, then the hold's
 * keys. ARGV: the check's four, the hold's session ID, then the hold's. Returns the check's reply when
 * it is not 'ok' for that session ID (nothing held), else 'ok', id, exp, due, then the hold's reply.
 * The reply is ONE string, fields apart by spaces and a list's items by commas (IDs and numbers never
 * hold either): the client decodes one value instead of a nested array of ten, which cost the service
 * more per lock than the rest of the command's way through the client.
 */
const TOUCH_ACQUIRE = `${PARSE}${SESSION_TOUCH_FN}${ACQUIRE_FN}
local checked = session_touch({KEYS[1], KEYS[2]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4]})
if checked[1] ~= 'ok' or checked[2] ~= ARGV[5] then return table.concat(checked, ' ') end
local held = acquire({unpack(KEYS, 3)}, {unpack(ARGV, 5)})
local detail = held[2] or ''
if type(detail) == 'table' then detail = table.concat(detail, ',') end
return table.concat({'ok', checked[2], checked[3], checked[4], held[1], detail, held[3] or ''}, ' ')
`;

const RELEASE_BODY = `
local released = {}
for _, seat in ipairs(targets) do
  if redis.call('SREM', KEYS[2], seat) == 1 then
    local owner, till = parse(redis.call('HGET', KEYS[1], seat))
    if owner == sid then
      redis.call('HDEL', KEYS[1], seat)
      if till > now then released[#released + 1] = seat end
    end
  end
end
return released
`;

/** KEYS: holds, mine. ARGV: session, now, seats... (none: all it holds in the event). The live ones released. */
const RELEASE = `${PARSE}
local sid, now = ARGV[1], tonumber(ARGV[2])
local targets = {}
if #ARGV > 2 then
  for i = 3, #ARGV do targets[#targets + 1] = ARGV[i] end
else
  targets = redis.call('SMEMBERS', KEYS[2])
end
${RELEASE_BODY}`;

/**
 * A session is over: marks it gone in the event (for a lock that checked it just before) and releases
 * all it holds there. KEYS: holds, mine, gone. ARGV: session, now, how long gone entries are kept (ms).
 */
const END_IN_EVENT = `${PARSE}
local sid, now = ARGV[1], tonumber(ARGV[2])
redis.call('ZADD', KEYS[3], now, sid)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[3], ARGV[3])
local targets = redis.call('SMEMBERS', KEYS[2])
${RELEASE_BODY}`;

/** KEYS: holds, mine. ARGV: session. The seats it holds in the event, live or lapsed. */
const HELD_BY = `${PARSE}
local held = {}
for _, seat in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local owner = parse(redis.call('HGET', KEYS[1], seat))
  if owner == ARGV[1] then held[#held + 1] = seat end
end
return held
`;

/** After a sale commits. KEYS: holds, mine. ARGV: seats... Marked sold, whoever holds them now. */
const SELL = `
for i = 1, #ARGV do
  redis.call('HSET', KEYS[1], ARGV[i], 'sold')
  redis.call('SREM', KEYS[2], ARGV[i])
end
return 0
`;

/**
 * After a refund commits. KEYS: holds, heads. ARGV: seats... Forgets sold marks (a hold is left alone),
 * and where the walks for free places start: a refunded place may lie before it.
 */
const UNSELL = `
for i = 1, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == 'sold' then redis.call('HDEL', KEYS[1], ARGV[i]) end
end
redis.call('DEL', KEYS[2])
return 0
`;

/** An area's places, read from the database, unless another instance loaded them. KEYS: list. */
const LOAD_PLACES = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 1, #ARGV, 1000 do redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
return 1
`;

/**
 * The event's sold seats, read from the database: marked, then the event is ready for locks. KEYS:
 * holds, heads (dropped: the walks for free places start over from what was just loaded).
 */
const LOAD_SOLD = `
redis.call('DEL', KEYS[2])
for i = 1, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], 'sold') end
-- The mark is longer than a compact hash may hold (hash-max-listpack-value, 64 bytes by default), so the
-- event's hash is a hash table from the start: in the compact form every seat looked up is a scan of
-- all the event's holds (a lock's HMGET of 4 seats took 27 us among 500 holds, 1.4 us in a table).
redis.call('HSET', KEYS[1], '_ready', string.rep('r', 256))
return 0
`;

type Arg = string | number | Buffer;
export type TouchReply = [state: string, id?: string, exp?: string, due?: string];
/** detail: the seats held ('ok'), the seats ('unavailable') or areas ('sold-out') refused, a count ('too-many'). */
export type HoldReply = [kind: string, detail?: string[] | string | null, deadline?: string | null];
/** The check's reply, then (when it is 'ok' for the session asked for) the hold's. */
export type TouchHoldReply = [...TouchReply, ...([] | HoldReply)];

/** The one-script lock's reply (see TOUCH_ACQUIRE) as the separate scripts' replies would be. */
export function touchHoldReply(flat: string): TouchHoldReply {
  const [state = '', id, exp, due, kind, detail = '', deadline] = flat.split(' ');
  if (kind === undefined) return [state, id, exp, due];
  const list = kind === 'too-many' ? detail : detail === '' ? [] : detail.split(',');
  return [state, id, exp, due, kind, list, deadline];
}

/** The scripts as client methods (script-commands.ts: EVALSHA, or EVAL after a Redis restart). */
export interface HoldScripts {
  sessionTouch(session: string, events: string, ...argv: Arg[]): Promise<TouchReply>;
  sessionLoad(session: string, ...argv: Arg[]): Promise<number>;
  sessionExtend(session: string, ...argv: Arg[]): Promise<number>;
  sessionEnd(session: string, events: string, ttlMs: number): Promise<string[]>;
  /** The first argument is how many keys follow: 4 + the number of areas. */
  holdAcquire(keyCount: number, ...keysAndArgv: Arg[]): Promise<HoldReply>;
  /** The first argument is how many keys follow: 6 + the number of areas. A single Redis only. */
  sessionTouchHoldAcquire(keyCount: number, ...keysAndArgv: Arg[]): Promise<string>;
  holdRelease(holds: string, mine: string, ...argv: Arg[]): Promise<string[]>;
  holdEnd(holds: string, mine: string, gone: string, ...argv: Arg[]): Promise<string[]>;
  holdHeldBy(holds: string, mine: string, sessionId: string): Promise<string[]>;
  /** The event's holds hash as field, value, field, value...: HGETALL without the client's object. */
  holdAll(holds: string): Promise<string[]>;
  holdSell(holds: string, mine: string, ...seats: string[]): Promise<number>;
  holdLoadSold(holds: string, heads: string, ...seats: string[]): Promise<number>;
  holdUnsell(holds: string, heads: string, ...seats: string[]): Promise<number>;
  holdLoadPlaces(places: string, ...ids: string[]): Promise<number>;
}

// A key count of null: given as the first argument of each call.
const SCRIPTS: [keyof HoldScripts, number | null, string][] = [
  ['sessionTouch', 2, SESSION_TOUCH],
  ['sessionLoad', 1, SESSION_LOAD],
  ['sessionExtend', 1, SESSION_EXTEND],
  ['sessionEnd', 2, SESSION_END],
  ['holdAcquire', null, ACQUIRE],
  ['sessionTouchHoldAcquire', null, TOUCH_ACQUIRE],
  ['holdRelease', 2, RELEASE],
  ['holdEnd', 3, END_IN_EVENT],
  ['holdHeldBy', 2, HELD_BY],
  ['holdAll', 1, "return redis.call('HGETALL', KEYS[1])"],
  ['holdSell', 2, SELL],
  ['holdLoadSold', 2, LOAD_SOLD],
  ['holdUnsell', 2, UNSELL],
  ['holdLoadPlaces', 1, LOAD_PLACES],
];

export function defineHoldScripts(redis: Redis | Cluster): void {
  defineScripts(redis, SCRIPTS);
}

/** Keys of one event share the hash tag `{event:<id>}`; keys of one session share `{session:<hash>}`. */
export const keys = {
  holds: (eventId: string) => `{event:${eventId}}:holds`,
  mine: (eventId: string, sessionId: string) => `{event:${eventId}}:s:${sessionId}`,
  gone: (eventId: string) => `{event:${eventId}}:gone`,
  places: (eventId: string, areaId: string) => `{event:${eventId}}:area:${areaId}`,
  heads: (eventId: string) => `{event:${eventId}}:heads`,
  session: (tokenHash: Buffer) => `{session:${tokenHash.toString('hex')}}`,
  sessionEvents: (tokenHash: Buffer) => `{session:${tokenHash.toString('hex')}}:events`,
};
