/**
 * The Redis floor: Fastify + ioredis and a minimal correct lock, ONE Lua script per POST /api/lock
 * (EVALSHA, sent as the service sends its scripts: src/infra/redis/script-commands.ts) that checks the
 * session key and holds the seats all or nothing in the event's hash. Events and seats are made at
 * start, in memory and in Redis, under REDIS_KEY_PREFIX; those keys are deleted at exit (the Redis is
 * shared: never FLUSHALL). What the service's Redis lock is compared with: see bench/README.md.
 *
 * Keys: `<prefix>session:<token>` = expiry ms (with a TTL); `<prefix>seats:<event>` = hash, seat ID ->
 * `free`, `sold` or `<token>|<until ms>`. The script touches a session key and an event key, so it
 * needs one Redis, not a Cluster (where those would be in different slots).
 *
 * With FLOOR_REDIS_SLOTS=1 it is the least a lock needs on a Redis Cluster, as the service must run:
 * the session key and the event's hash get hash tags of their own (`{session:<token>}`,
 * `{seats:<event>}`), so no script may touch both. A lock sends two scripts in one write, the session
 * check and the hold, and takes the hold back in the rare case that the session turned out dead.
 *
 * With FLOOR_RULES=1 the one script also applies the contract's rules for every lock (RULES_LOCK).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { defineScripts } from '../src/infra/redis/script-commands.js';
import {
  floorConfig,
  requiredEnv,
  seatStatus,
  serveFloor,
  type FloorStore,
  type LockOutcome,
} from './lib/floor-common.js';
import { dropRedisKeys } from './lib/redis-keys.js';

// The two halves of the lock: the session's check, and the all-or-nothing hold.
const SESSION_CHECK = `
local now = tonumber(ARGV[2])
local exp = redis.call('GET', KEYS[1])
if not exp or tonumber(exp) <= now then return -1 end
`;
const HOLD = `
local now = tonumber(ARGV[2])
local current = redis.call('HMGET', KEYS[2], unpack(ARGV, 4))
for i = 1, #current do
  local v = current[i]
  if not v or v == 'sold' then return 0 end
  if v ~= 'free' then
    local bar = string.find(v, '|', 1, true)
    if string.sub(v, 1, bar - 1) ~= ARGV[1] and tonumber(string.sub(v, bar + 1)) > now then return 0 end
  end
end
local held = ARGV[1] .. '|' .. ARGV[3]
local fields = {}
for i = 4, #ARGV do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = held
end
redis.call('HSET', KEYS[2], unpack(fields))
return 1
`;
/**
 * KEYS: the session, the event's seats. ARGV: token, now ms, until ms, seat IDs...
 * Returns -1 (no live session), 0 (a seat missing, sold or held in time by another session) or 1 (held).
 */
const LOCK = `${SESSION_CHECK}${HOLD}`;

/**
 * FLOOR_RULES=1: the lock with the contract's rules for every lock (see FloorConfig.rules), the least
 * way: the seats a session holds in an event are a set of their own, and a hold's value also keeps when
 * the hold began. KEYS: the session, the event's seats, the session's seats in the event. ARGV: token,
 * now ms, until ms, the cap on a hold's length (ms), the most seats a session may hold, seat IDs...
 * Returns {-1}, {0}, {-2} (too many) or {1, deadline, every seat held}.
 */
const RULES_LOCK = `
local now = tonumber(ARGV[2])
local exp = redis.call('GET', KEYS[1])
if not exp or tonumber(exp) <= now then return {-1} end
local function parse(v)
  if not v or v == 'free' or v == 'sold' then return v, 0, 0 end
  local a = string.find(v, '|', 1, true)
  local b = string.find(v, '|', a + 1, true)
  return string.sub(v, 1, a - 1), tonumber(string.sub(v, a + 1, b - 1)), tonumber(string.sub(v, b + 1))
end
local current = redis.call('HMGET', KEYS[2], unpack(ARGV, 6))
for i = 1, #current do
  local owner, till = parse(current[i])
  if not owner or owner == 'sold' or (owner ~= 'free' and owner ~= ARGV[1] and till > now) then return {0} end
end
local after, seen, began = {}, {}, nil
for i = 6, #ARGV do
  if not seen[ARGV[i]] then seen[ARGV[i]] = true; after[#after + 1] = ARGV[i] end
end
local before = redis.call('SMEMBERS', KEYS[3])
for _, seat in ipairs(before) do
  local owner, till, since = parse(redis.call('HGET', KEYS[2], seat))
  if owner == ARGV[1] and till > now then
    if not began or since < began then began = since end
    if not seen[seat] then seen[seat] = true; after[#after + 1] = seat end
  end
end
if #after > tonumber(ARGV[5]) then return {-2} end
began = began or now
local deadline = math.min(tonumber(ARGV[3]), began + tonumber(ARGV[4]))
local held = ARGV[1] .. '|' .. deadline .. '|' .. began
local fields = {}
for _, seat in ipairs(after) do fields[#fields + 1] = seat; fields[#fields + 1] = held end
redis.call('HSET', KEYS[2], unpack(fields))
if #before > 0 then redis.call('DEL', KEYS[3]) end
redis.call('SADD', KEYS[3], unpack(after))
redis.call('PEXPIRE', KEYS[3], math.max(deadline - now, 1))
return {1, deadline, unpack(after)}
`;

/** KEYS: the session. ARGV: token, now ms. Returns -1 (no live session) or 1. Slots mode only. */
const CHECK_ONLY = `${SESSION_CHECK}return 1`;
/** KEYS: the event's seats. ARGV: token, seat IDs... Lets go the seats the token holds. Slots mode only. */
const UNDO = `
for i = 2, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then redis.call('HSET', KEYS[1], ARGV[i], 'free') end
end
return 1
`;

const cfg = floorConfig();
const url = requiredEnv('REDIS_URL');
const prefix = requiredEnv('REDIS_KEY_PREFIX');
// Auto-pipelining: under load, many requests' scripts share one write, which for this short script is a
// third faster than a write per command (the service's client, whose lock does more, writes each as it comes).
const redis = new Redis(url, { keyPrefix: prefix, maxRetriesPerRequest: 1, enableAutoPipelining: true });
const slots = process.env.FLOOR_REDIS_SLOTS === '1';
if (slots && cfg.rules) throw new Error('FLOOR_REDIS_SLOTS and FLOOR_RULES: one or the other');
defineScripts(redis, [
  ['floorLock', 2, LOCK],
  ['floorRulesLock', 3, RULES_LOCK],
  // The hold alone, on the event's key only (its ARGV as the one-script lock's).
  ['floorHold', 1, HOLD.replaceAll('KEYS[2]', 'KEYS[1]')],
  ['floorCheck', 1, CHECK_ONLY],
  ['floorUndo', 1, UNDO],
]);
type Script = (...args: (string | number)[]) => Promise<number>;
const scripts = redis as unknown as Record<'floorLock' | 'floorHold' | 'floorCheck' | 'floorUndo', Script> & {
  floorRulesLock(...args: (string | number)[]): Promise<(number | string)[]>;
};

const sessionKey = (token: string) => (slots ? `{session:${token}}` : `session:${token}`);
const seatsKey = (eventId: string) => (slots ? `{seats:${eventId}}` : `seats:${eventId}`);
const heldKey = (eventId: string, token: string) => `held:${eventId}:${token}`;

const seatsOf = new Map<string, string[]>();
for (let e = 0; e < cfg.events; e++) {
  const seats = Array.from({ length: cfg.seatsPerEvent }, () => randomUUID());
  const eventId = randomUUID();
  seatsOf.set(eventId, seats);
  await redis.hset(seatsKey(eventId), Object.fromEntries(seats.map((s) => [s, 'free'])));
}

const store: FloorStore = {
  events: [...seatsOf.keys()],
  async createSession(token) {
    const ttlMs = cfg.sessionTtlSeconds * 1000;
    await redis.set(sessionKey(token), String(Date.now() + ttlMs), 'PX', ttlMs);
  },
  async seats(eventId) {
    const seats = seatsOf.get(eventId);
    if (!seats) return null;
    const state = await redis.hgetall(seatsKey(eventId));
    const now = Date.now();
    return seats.map((seatID) => {
      const v = state[seatID] ?? 'free';
      // `<token>|<until ms>`, or with FLOOR_RULES `<token>|<until ms>|<began ms>`.
      const held = v === 'free' || v === 'sold' ? null : Number(v.split('|')[1]);
      return { seatID, status: seatStatus(v === 'sold', held, now) };
    });
  },
  async lock(token, eventId, seatIds) {
    const now = Date.now();
    const until = now + cfg.lockTtlSeconds * 1000;
    if (cfg.rules) return lockByRules(token, eventId, seatIds, now, until);
    const r = slots
      ? await lockInSlots(token, eventId, seatIds, now, until)
      : await scripts.floorLock(sessionKey(token), seatsKey(eventId), token, now, until, ...seatIds);
    if (r === -1) return { outcome: 'no-session' };
    if (r === 0) return { outcome: 'unavailable' };
    return { outcome: 'ok', lockUntil: new Date(until) };
  },
  async close() {
    redis.disconnect();
    await dropRedisKeys(url, prefix);
  },
};

async function lockByRules(
  token: string,
  eventId: string,
  seatIds: string[],
  now: number,
  until: number,
): Promise<LockOutcome> {
  const [r, deadline, ...held] = await scripts.floorRulesLock(
    sessionKey(token),
    seatsKey(eventId),
    heldKey(eventId, token),
    token,
    now,
    until,
    cfg.maxHoldSeconds * 1000,
    cfg.maxSeats,
    ...seatIds,
  );
  if (r === -1) return { outcome: 'no-session' };
  if (r === 0) return { outcome: 'unavailable' };
  if (r === -2) return { outcome: 'too-many' };
  return { outcome: 'ok', lockUntil: new Date(Number(deadline)), held: (held as string[]).sort() };
}

/** The two scripts of a Cluster-safe lock, sent together (auto-pipelining: one write). */
async function lockInSlots(token: string, eventId: string, seatIds: string[], now: number, until: number) {
  const [live, held] = await Promise.all([
    scripts.floorCheck(sessionKey(token), token, now),
    scripts.floorHold(seatsKey(eventId), token, now, until, ...seatIds),
  ]);
  if (live !== -1) return held;
  if (held === 1) await scripts.floorUndo(seatsKey(eventId), token, ...seatIds);
  return -1;
}

await serveFloor(store, cfg.port);
