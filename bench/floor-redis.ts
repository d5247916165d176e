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
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { defineScripts } from '../src/infra/redis/script-commands.js';
import { floorConfig, requiredEnv, seatStatus, serveFloor, type FloorStore } from './lib/floor-common.js';
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
// Auto-pipelining as the service's client has it: under load, many requests' scripts share one write.
const redis = new Redis(url, { keyPrefix: prefix, maxRetriesPerRequest: 1, enableAutoPipelining: true });
const slots = process.env.FLOOR_REDIS_SLOTS === '1';
defineScripts(redis, [
  ['floorLock', 2, LOCK],
  // The hold alone, on the event's key only (its ARGV as the one-script lock's).
  ['floorHold', 1, HOLD.replaceAll('KEYS[2]', 'KEYS[1]')],
  ['floorCheck', 1, CHECK_ONLY],
  ['floorUndo', 1, UNDO],
]);
type Script = (...args: (string | number)[]) => Promise<number>;
const scripts = redis as unknown as Record<'floorLock' | 'floorHold' | 'floorCheck' | 'floorUndo', Script>;

const sessionKey = (token: string) => (slots ? `{session:${token}}` : `session:${token}`);
const seatsKey = (eventId: string) => (slots ? `{seats:${eventId}}` : `seats:${eventId}`);

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
      const held = v === 'free' || v === 'sold' ? null : Number(v.slice(v.indexOf('|') + 1));
      return { seatID, status: seatStatus(v === 'sold', held, now) };
    });
  },
  async lock(token, eventId, seatIds) {
    const now = Date.now();
    const until = now + cfg.lockTtlSeconds * 1000;
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
