import { isDomainError } from '../../domain/errors.js';
import { checkHeld, type SeatState } from '../../domain/seat-rules.js';
import type { HoldStore, LiveHold, SeatRepository } from '../../services/ports.js';
import type { SessionLiveness } from '../db/session.repository.js';
import { guard, type RedisClient } from './client.js';
import { keys } from './scripts.js';

// How long a "sold" tombstone outlives a hash that has no other deadline: it only has to bridge the
// moments between a lock's database read and its script.
const TOMBSTONE_MS = 60_000;

export interface RedisHoldStore extends HoldStore {
  /** Releases the holds of sessions that ended or expired; the seats freed. For the cleanup job. */
  sweepDeadSessions(now: Date, pageSize: number): Promise<string[]>;
}

/**
 * Holds in Redis (see scripts.ts for the key layout and the clock). The database stays the truth for
 * which seats exist and which are sold; a sale is written under `status <> 'confirmed'`, so the unique
 * seat of `reservation_seats` is the last guard even if a hold expired between check and commit.
 */
export function redisHoldStore(deps: {
  redis: RedisClient;
  seats: SeatRepository;
  sessions: SessionLiveness;
}): RedisHoldStore {
  const { redis, seats, sessions } = deps;

  async function releaseIn(eventId: string, sessionId: string, now: Date, seatIds?: readonly string[]) {
    return guard(
      redis.holdRelease(
        keys.holds(eventId),
        keys.mine(eventId, sessionId),
        sessionId,
        now.getTime(),
        ...(seatIds ?? []),
      ),
    );
  }

  /** Every event the session may hold seats in; the index is never trimmed, so it may list a few more. */
  async function release(sessionId: string, now: Date, eventId?: string, seatIds?: readonly string[]) {
    const events = eventId ? [eventId] : await guard(redis.smembers(keys.sessionEvents(sessionId)));
    const released = await Promise.all(events.map((e) => releaseIn(e, sessionId, now, seatIds)));
    return released.flat();
  }

  return {
    inDatabase: false,

    async acquire({ eventId, sessionId, seatIds, now, until, maxSeats }) {
      const records = new Map((await seats.find(eventId, seatIds)).map((r) => [r.id, r]));
      const unknown = seatIds.filter((id) => !records.has(id));
      if (unknown.length > 0) return { kind: 'unknown', seatIDs: unknown };
      const sold = seatIds.map((id) => (records.get(id)?.confirmed ? '1' : '0')).join('');
      const ttl = until.getTime() - now.getTime();
      // Sent together, so one round trip. The indexes go first: a logout that runs after the script
      // must find this event, and the sweep this session.
      const [, , , reply] = await guard(
        Promise.all([
          redis.sadd(keys.sessionEvents(sessionId), eventId),
          redis.pexpire(keys.sessionEvents(sessionId), ttl),
          redis.zadd(keys.holders, 'GT', until.getTime(), sessionId),
          redis.holdAcquire(
            keys.holds(eventId),
            keys.mine(eventId, sessionId),
            sessionId,
            now.getTime(),
            until.getTime(),
            maxSeats,
            sold,
            ...seatIds,
          ),
        ]),
      );
      const [kind, detail] = reply;
      if (kind === 'unavailable') return { kind: 'unavailable', seatIDs: asList(detail) };
      if (kind === 'too-many') return { kind: 'too-many', wouldHold: Number(detail) };
      // A logout racing this lock: it marks the session ended before releasing, so either it saw
      // these holds, or this check sees it ended and takes them back. No hold outlives its session.
      if (!(await sessions.isLive(sessionId, now))) {
        await releaseIn(eventId, sessionId, now);
        return { kind: 'no-session' };
      }
      return { kind: 'ok', heldAfter: asList(detail).sort() };
    },

    release: ({ sessionId, eventId, seatIds, now }) => release(sessionId, now, eventId, seatIds),

    async endSession(sessionId, now) {
      await sessions.end(sessionId, now);
      // The session is over either way. If Redis is down its holds stay until they run out or the
      // cleanup job's sweep frees them, which is better than a 503 that a retry would answer with 401.
      try {
        const released = await release(sessionId, now);
        await guard(redis.zrem(keys.holders, sessionId));
        return released;
      } catch (e) {
        if (!isUnavailable(e)) throw e;
        return [];
      }
    },

    async heldBy(sessionId, eventId) {
      const held = await guard(
        redis.holdHeldBy(keys.holds(eventId), keys.mine(eventId, sessionId), sessionId),
      );
      if (held.length === 0) return [];
      // In seat order, as the database mode answers.
      return (await seats.find(eventId, held)).map((r) => r.id);
    },

    async check(sessionId, eventId, seatIds, now) {
      const values = seatIds.length > 0 ? await guard(redis.hmget(keys.holds(eventId), ...seatIds)) : [];
      return checkHeld(
        seatIds.map((id, i) => toState(id, values[i] ?? null)),
        sessionId,
        now,
      );
    },

    async live(eventId, now) {
      // One HGETALL, whatever the size of the event: at most one field per seat.
      const all = await guard(redis.hgetall(keys.holds(eventId)));
      const live = new Map<string, LiveHold>();
      for (const [seatId, value] of Object.entries(all)) {
        const state = toState(seatId, value);
        if (state.status === 'locked' && state.lockedBy && state.lockUntil && state.lockUntil > now)
          live.set(seatId, { sessionId: state.lockedBy, until: state.lockUntil });
      }
      return live;
    },

    async forget(sessionId, eventId, seatIds) {
      // The sale is committed: a Redis failure here must not turn it into an error. The holds left
      // behind run out on their own, and the database already answers "confirmed" for these seats.
      await redis
        .holdForget(keys.holds(eventId), keys.mine(eventId, sessionId), TOMBSTONE_MS, ...seatIds)
        .catch(() => undefined);
    },

    async sweepDeadSessions(now, pageSize) {
      try {
        // Sessions whose every hold has run out need no visit.
        await guard(redis.zremrangebyscore(keys.holders, '-inf', String(now.getTime())));
        const freed: string[] = [];
        const dead: string[] = [];
        for (let start = 0; ; start += pageSize) {
          const ids = await guard(redis.zrange(keys.holders, String(start), String(start + pageSize - 1)));
          const gone = ids.length > 0 ? await sessions.deadAmong(ids, now) : [];
          for (const id of gone) freed.push(...(await release(id, now)));
          dead.push(...gone);
          if (ids.length < pageSize) break;
        }
        if (dead.length > 0) await guard(redis.zrem(keys.holders, ...dead));
        return freed;
      } catch (e) {
        // Redis (or the database) is down: the next run sweeps; the rest of the cleanup must still run.
        if (isUnavailable(e)) return [];
        throw e;
      }
    },
  };
}

function toState(id: string, value: string | null): SeatState {
  if (value === null) return { id, status: 'available', lockedBy: null, lockUntil: null };
  const bar = value.indexOf('|');
  if (bar < 0) return { id, status: 'confirmed', lockedBy: null, lockUntil: null };
  return {
    id,
    status: 'locked',
    lockedBy: value.slice(0, bar),
    lockUntil: new Date(Number(value.slice(bar + 1))),
  };
}

const asList = (detail: string[] | string): string[] => (Array.isArray(detail) ? detail : [detail]);

const isUnavailable = (e: unknown) => isDomainError(e) && e.code === 'SERVICE_UNAVAILABLE';
