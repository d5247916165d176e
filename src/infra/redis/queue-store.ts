import { ARRIVALS_FROM, planAdmissions, waitedMs, type QueueSettings } from '../../domain/queue.js';
import type { QueueSnapshot, QueueStore } from '../../services/queue-ports.js';
import { guard, type RedisConnection } from './client.js';
import { defineQueueScripts, queueKeys as k, type QueueScripts } from './queue-scripts.js';

// The admitter's lease: a few of its steps (at most a second apart), so that another instance takes
// over within seconds of one that died, and at once from one that shut down (it gives the lease up).
const LEASE_MS = 3000;

const hex = (tokenHash: Buffer) => tokenHash.toString('hex');

/** opensAt, rate, admission, opened, admitted, next, waiting: as ENTRY and LEASE return them. */
function snapshotOf(r: readonly string[]): QueueSnapshot & { nextAdmitMs: number | null } {
  return {
    settings: {
      opensAt: new Date(Number(r[0])),
      admitPerMinute: Number(r[1]),
      admissionSeconds: Number(r[2]),
    },
    opened: r[3] === '1',
    admitted: Number(r[4]),
    nextAdmitMs: r[5] ? Number(r[5]) : null,
    waiting: Number(r[6]),
  };
}

/**
 * Waiting rooms in Redis, beside the Redis holds (key layout in queue-scripts.ts). One admitter at a
 * time per event: the instance holding the event's lease (SET NX PX), renewed at each of its steps.
 * The gate's lookup is one HGET: no database on the lock path.
 */
export function redisQueueStore(connection: RedisConnection): QueueStore {
  defineQueueScripts(connection);
  const redis = connection as RedisConnection & QueueScripts;

  return {
    async list() {
      const ids = await guard(redis.smembers(k.all));
      // One command per event: on a cluster their keys live in different slots.
      const rows = await Promise.all(
        ids.map((id) => guard(redis.hmget(k.queue(id), 'opensAt', 'rate', 'admission'))),
      );
      const queues = new Map<string, QueueSettings>();
      ids.forEach((id, i) => {
        const [opensAt, rate, admission] = rows[i]!;
        if (opensAt && rate && admission)
          queues.set(id, {
            opensAt: new Date(Number(opensAt)),
            admitPerMinute: Number(rate),
            admissionSeconds: Number(admission),
          });
      });
      return queues;
    },

    async put(eventId, s, now) {
      const result = await guard(
        redis.queuePut(
          k.queue(eventId),
          s.opensAt.getTime(),
          s.admitPerMinute,
          s.admissionSeconds,
          now.getTime(),
        ),
      );
      if (result === 'ok') await guard(redis.sadd(k.all, eventId));
      return result;
    },

    async remove(eventId) {
      // Out of the list first: an instance that reads the list meanwhile never finds a half-removed queue.
      await guard(redis.srem(k.all, eventId));
      await guard(
        redis.unlink(
          k.queue(eventId),
          k.order(eventId),
          k.admitted(eventId),
          k.joined(eventId),
          k.admitter(eventId),
        ),
      );
    },

    async join(eventId, tokenHash, now, drawn) {
      await guard(
        redis.queueJoin(
          k.queue(eventId),
          k.order(eventId),
          k.joined(eventId),
          hex(tokenHash),
          now.getTime(),
          String(drawn),
          String(ARRIVALS_FROM),
        ),
      );
    },

    async entry(eventId, tokenHash) {
      const r = await guard(
        redis.queueEntry(k.queue(eventId), k.order(eventId), k.admitted(eventId), hex(tokenHash)),
      );
      if (!r) return null;
      const { nextAdmitMs: _, ...snapshot } = snapshotOf(r);
      const entry = r[7] ? { rank: Number(r[7]), admittedUntil: r[8] ? new Date(Number(r[8])) : null } : null;
      return { snapshot, entry };
    },

    async ranks(eventId, tokenHashes) {
      const members = tokenHashes.map(hex);
      const pipeline = redis.pipeline();
      for (const m of members) pipeline.zrank(k.order(eventId), m);
      const results = (await guard(pipeline.exec())) ?? [];
      const ranks = new Map<string, number>();
      results.forEach(([error, rank], i) => {
        if (!error && typeof rank === 'number') ranks.set(members[i]!, rank + 1);
      });
      return ranks;
    },

    async admittedUntil(eventId, tokenHash) {
      const until = await guard(redis.hget(k.admitted(eventId), hex(tokenHash)));
      return until ? new Date(Number(until)) : null;
    },

    async step(eventId, now, instance) {
      const keys = [k.queue(eventId), k.order(eventId), k.admitter(eventId)] as const;
      const r = await guard(redis.queueLease(...keys, instance, LEASE_MS));
      if (!r) return null;
      const { nextAdmitMs, ...snapshot } = snapshotOf(r);
      if (r[7] !== '1') return { snapshot, waitedMs: [] };

      const { settings } = snapshot;
      const plan = planAdmissions(
        settings,
        { opened: snapshot.opened, admitted: snapshot.admitted, nextAdmitMs },
        now,
      );
      const count = Math.min(plan.due, snapshot.waiting);
      if (plan.due === 0 && plan.opened === snapshot.opened) return { snapshot, waitedMs: [] };
      const next = plan.nextAfter(count);
      const joined = await guard(
        redis.queueAdmit(
          k.queue(eventId),
          k.order(eventId),
          k.admitted(eventId),
          k.joined(eventId),
          k.admitter(eventId),
          instance,
          String(snapshot.admitted),
          count,
          now.getTime() + settings.admissionSeconds * 1000,
          next === null ? '' : String(next),
          plan.opened ? '1' : '0',
        ),
      );
      // Stale (the lease moved on, or another step admitted): the next step plans again.
      if (!joined) return { snapshot, waitedMs: [] };
      return {
        snapshot: {
          ...snapshot,
          opened: plan.opened,
          admitted: snapshot.admitted + joined.length,
          waiting: snapshot.waiting - joined.length,
        },
        waitedMs: joined.map((j) => waitedMs(new Date(Number(j)), settings.opensAt, now)),
      };
    },

    async release(eventId, instance) {
      await guard(redis.queueRelease(k.admitter(eventId), instance));
    },
  };
}
