import type { Cluster, Redis } from 'ioredis';
import { defineScripts } from './script-commands.js';

/*
 * The Lua scripts of the Redis waiting rooms. Each touches the keys of ONE event, which share the hash
 * tag `{event:<id>}`, so each is atomic and runs unchanged on Redis Cluster:
 *
 *   {event:<id>}:queue           hash: opensAt (ms), rate, admission (s), opened ('0'/'1'), admitted
 *                                (how many of the first places are admitted), next (ms, the next
 *                                admission), arrivals (the last arrival number)
 *   {event:<id>}:queue:order     sorted set: token hash (hex) -> place (src/domain/queue.ts)
 *   {event:<id>}:queue:admitted  hash: token hash -> admitted until (ms)
 *   {event:<id>}:queue:joined    hash: token hash -> joined at (ms), for the wait time
 *   {event:<id>}:queue:admitter  string: the instance admitting, with a lease (SET NX PX)
 *
 * plus `queues`, the set of events with a queue, which only the admin routes write (no script touches
 * it and another slot). Places are passed and stored as decimal strings: Lua would print a number past
 * 14 digits rounded, and places go up to 2^53.
 */

/** KEYS: queue. ARGV: opensAt, rate, admission, now. 'fixed' when an opened queue's opensAt would change. */
const PUT = `
local cur = redis.call('HMGET', KEYS[1], 'opensAt', 'opened')
if cur[1] and cur[1] ~= ARGV[1] and (cur[2] == '1' or tonumber(ARGV[4]) >= tonumber(cur[1])) then
  return 'fixed'
end
redis.call('HSET', KEYS[1], 'opensAt', ARGV[1], 'rate', ARGV[2], 'admission', ARGV[3])
redis.call('HSETNX', KEYS[1], 'opened', '0')
redis.call('HSETNX', KEYS[1], 'admitted', '0')
return 'ok'
`;

/** KEYS: queue, order, joined. ARGV: member, now, drawn place, first arrival place. */
const JOIN = `
local q = redis.call('HMGET', KEYS[1], 'opensAt', 'opened')
if not q[1] or redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
local place = ARGV[3]
if q[2] == '1' or tonumber(ARGV[2]) >= tonumber(q[1]) then
  place = string.format('%.0f', tonumber(ARGV[4]) + redis.call('HINCRBY', KEYS[1], 'arrivals', 1))
end
redis.call('ZADD', KEYS[2], place, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
`;

const READ_QUEUE = `
local q = redis.call('HMGET', KEYS[1], 'opensAt', 'rate', 'admission', 'opened', 'admitted', 'next')
if not q[1] then return false end
local waiting = tostring(redis.call('ZCARD', KEYS[2]) - tonumber(q[5]))
`;

/**
 * KEYS: queue, order, admitted. ARGV: member or ''. nil without a queue, else
 * {opensAt, rate, admission, opened, admitted, next, waiting, rank ('' when not joined), until}.
 */
const ENTRY = `${READ_QUEUE}
local rank, untl = false, false
if ARGV[1] ~= '' then
  rank = redis.call('ZRANK', KEYS[2], ARGV[1])
  untl = redis.call('HGET', KEYS[3], ARGV[1])
end
return {q[1], q[2], q[3], q[4] or '0', q[5], q[6] or '', waiting, rank and tostring(rank + 1) or '', untl or ''}
`;

/**
 * The admitter's lease and the state it plans from. KEYS: queue, order, admitter. ARGV: instance,
 * lease ms. nil without a queue, else the queue as in ENTRY (no rank) and '1' if this instance holds
 * the lease (taken when free, renewed when its own).
 */
const LEASE = `${READ_QUEUE}
local holder = redis.call('GET', KEYS[3])
local mine = '0'
if not holder or holder == ARGV[1] then
  redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
  mine = '1'
end
return {q[1], q[2], q[3], q[4] or '0', q[5], q[6] or '', waiting, mine}
`;

/**
 * Applies a plan, if this instance still holds the lease and nobody admitted meanwhile.
 * KEYS: queue, order, admitted, joined, admitter. ARGV: instance, admitted before, count, until,
 * next, opened. Returns the admitted sessions' join times, or nil when the plan was stale.
 */
const ADMIT = `
if redis.call('GET', KEYS[5]) ~= ARGV[1] then return false end
if redis.call('HGET', KEYS[1], 'admitted') ~= ARGV[2] then return false end
local from, n = tonumber(ARGV[2]), tonumber(ARGV[3])
local members = {}
if n > 0 then members = redis.call('ZRANGE', KEYS[2], from, from + n - 1) end
local joined = {}
for i, m in ipairs(members) do
  redis.call('HSET', KEYS[3], m, ARGV[4])
  joined[i] = redis.call('HGET', KEYS[4], m) or '0'
end
redis.call('HSET', KEYS[1], 'admitted', tostring(from + #members), 'next', ARGV[5], 'opened', ARGV[6])
return joined
`;

/** KEYS: admitter. ARGV: instance. Gives the lease up if this instance holds it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;

type Arg = string | number;
type Reply = (string | false | null)[];

export interface QueueScripts {
  queuePut(queue: string, ...argv: Arg[]): Promise<'ok' | 'fixed'>;
  queueJoin(queue: string, order: string, joined: string, ...argv: Arg[]): Promise<number>;
  queueEntry(queue: string, order: string, admitted: string, member: string): Promise<string[] | null>;
  queueLease(queue: string, order: string, admitter: string, ...argv: Arg[]): Promise<string[] | null>;
  queueAdmit(
    queue: string,
    order: string,
    admitted: string,
    joined: string,
    admitter: string,
    ...argv: Arg[]
  ): Promise<Reply | null>;
  queueRelease(admitter: string, instance: string): Promise<number>;
}

const SCRIPTS: [keyof QueueScripts, number, string][] = [
  ['queuePut', 1, PUT],
  ['queueJoin', 3, JOIN],
  ['queueEntry', 3, ENTRY],
  ['queueLease', 3, LEASE],
  ['queueAdmit', 5, ADMIT],
  ['queueRelease', 1, RELEASE],
];

export function defineQueueScripts(redis: Redis | Cluster): void {
  defineScripts(redis, SCRIPTS);
}

export const queueKeys = {
  queue: (eventId: string) => `{event:${eventId}}:queue`,
  order: (eventId: string) => `{event:${eventId}}:queue:order`,
  admitted: (eventId: string) => `{event:${eventId}}:queue:admitted`,
  joined: (eventId: string) => `{event:${eventId}}:queue:joined`,
  admitter: (eventId: string) => `{event:${eventId}}:queue:admitter`,
  all: 'queues',
};
