import { isDomainError } from '../../domain/errors.js';
import { checkHeld, sortLike, type SeatState } from '../../domain/seat-rules.js';
import type {
  AcquireRequest,
  AcquireResult,
  HoldStore,
  LiveHold,
  SeatRepository,
} from '../../services/ports.js';
import type { SessionDirectory } from '../db/session.repository.js';
import { guard, type RedisClient } from './client.js';
import { keys, touchHoldReply, type HoldReply, type TouchReply } from './scripts.js';
import type { SessionCache } from './session-cache.js';

// How long an ended session stays in an event's `gone` set: far longer than a lock takes between
// checking its session and running its script.
const GONE_MS = 10 * 60_000;
const READY = '_ready';

export interface RedisHoldStore extends HoldStore {
  /** Releases the holds of sessions that ended or expired lately; the seats freed. For the cleanup job. */
  sweepDeadSessions(now: Date, pageSize: number): Promise<string[]>;
}

/**
 * Holds in Redis (see scripts.ts for the key layout and the clock). A lock asks Redis alone: its
 * session's check (session-cache.ts) and one script in the event's slot, which also knows the sold seats;
 * once this instance knows the session's ID the two are one script on a single Redis, and go out together
 * on a Cluster (whose scripts touch one slot each).
 * The database stays the truth for which seats exist and which are sold: a sale is written there under
 * `status <> 'confirmed'` (the unique reservation seat as the last guard), then marked sold here.
 */
export function redisHoldStore(deps: {
  redis: RedisClient;
  seats: SeatRepository;
  sessions: SessionCache;
  directory: SessionDirectory;
  /** The longest a hold can outlive its session: how far back the sweep looks for ended sessions. */
  lockTtlMs: number;
}): RedisHoldStore {
  const { redis, seats, sessions } = deps;
  // One Redis runs scripts across slots; a Cluster does not.
  const single = !redis.isCluster;

  const releaseIn = (eventId: string, sessionId: string, now: Date, seatIds?: readonly string[]) =>
    guard(
      redis.holdRelease(
        keys.holds(eventId),
        keys.mine(eventId, sessionId),
        sessionId,
        now.getTime(),
        ...(seatIds ?? []),
      ),
    );

  /** Releases an ended session in every event it locked in, marking it gone there. */
  async function releaseEverywhere(events: string[], sessionId: string, now: Date): Promise<string[]> {
    const released = await Promise.all(
      events.map((e) =>
        guard(
          redis.holdEnd(
            keys.holds(e),
            keys.mine(e, sessionId),
            keys.gone(e),
            sessionId,
            now.getTime(),
            GONE_MS,
          ),
        ),
      ),
    );
    return released.flat();
  }

  /**
   * After a flush (or for an event never locked here): the areas' places and the sold seats from the
   * database, once. The sold marks go last: they make the event ready.
   */
  async function load(eventId: string): Promise<void> {
    const byArea = new Map<string, string[]>();
    for (const { id, area } of await seats.places(eventId))
      byArea.set(area, [...(byArea.get(area) ?? []), id]);
    for (const [area, ids] of byArea) await guard(redis.holdLoadPlaces(keys.places(eventId, area), ...ids));
    const sold = await seats.soldIds(eventId);
    await guard(redis.holdLoadSold(keys.holds(eventId), keys.heads(eventId), ...sold));
  }

  /** The hold script's keys and arguments for a session. */
  function holdArgs(
    sessionId: string,
    { session: proof, eventId, seatIds, places = [], until, capMs, maxSeats }: AcquireRequest,
  ) {
    return {
      keys: [
        keys.holds(eventId),
        keys.mine(eventId, sessionId),
        keys.gone(eventId),
        keys.heads(eventId),
        ...places.map((p) => keys.places(eventId, p.areaId)),
      ],
      argv: [
        sessionId,
        proof.now.getTime(),
        until.getTime(),
        capMs,
        maxSeats,
        places.length,
        ...places.flatMap((p) => [p.areaId, p.quantity]),
        ...seatIds,
      ],
    };
  }

  /** The hold script for a session already checked (or being checked alongside). */
  async function acquireAs(sessionId: string, req: AcquireRequest): Promise<AcquireResult> {
    const { keys: holdKeys, argv } = holdArgs(sessionId, req);
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await guard(redis.holdAcquire(holdKeys.length, ...holdKeys, ...argv));
      if (reply[0] !== 'load') return readHold(reply, sessionId, req.seatIds);
      await load(req.eventId);
    }
    throw new Error(`sold seats of event ${req.eventId} could not be loaded into Redis`);
  }

  /**
   * A single Redis: the session's check and the hold in one script, for a session whose ID this instance
   * knows. Null when Redis does not know the session (a flush): the caller checks it apart.
   */
  async function acquireChecked(sessionId: string, req: AcquireRequest): Promise<AcquireResult | null> {
    const { session: proof, eventId } = req;
    const check = sessions.check(proof, eventId, eventsTtl(req));
    const hold = holdArgs(sessionId, req);
    const flat = await guard(
      redis.sessionTouchHoldAcquire(
        2 + hold.keys.length,
        ...check.keys,
        ...hold.keys,
        ...check.argv,
        ...hold.argv,
      ),
    );
    const reply = touchHoldReply(flat);
    if (reply[0] === 'dead') return { kind: 'no-session' };
    if (reply[0] !== 'ok' || reply[1] !== sessionId) return null;
    await sessions.settle(proof, reply.slice(0, 4) as TouchReply);
    const held = reply.slice(4) as HoldReply;
    if (held[0] !== 'load') return readHold(held, sessionId, req.seatIds);
    await load(eventId);
    return acquireAs(sessionId, req);
  }

  return {
    inDatabase: false,

    async acquire(req) {
      const { session: proof, eventId } = req;
      const checkSession = () => sessions.touchFor(proof, eventId, eventsTtl(req));
      const hinted = sessions.knownId(proof.tokenHash);
      if (!hinted) {
        const session = await checkSession();
        return session ? acquireAs(session.id, req) : { kind: 'no-session' };
      }
      if (single) {
        const result = await acquireChecked(hinted, req);
        if (result) return result;
      }
      // On a Cluster (or when Redis did not know the session), the session's ID being known, its check
      // and the hold go out together (one write, one round trip). The hold script refuses sessions whose logout reached the event; a hold
      // made for one that ended just before is taken back here (its event was registered by the check,
      // so should this instance stop first, the cleanup job's sweep takes it back).
      const [session, result] = await Promise.all([checkSession(), acquireAs(hinted, req)]);
      if (session?.id === hinted) return result;
      if (result.kind === 'ok') await releaseEverywhere([eventId], hinted, proof.now);
      return session ? acquireAs(session.id, req) : { kind: 'no-session' };
    },

    async release({ session: proof, eventId, seatIds }) {
      const session = await sessions.touch(proof);
      if (!session) return null;
      // The session's index may list a few more events than it holds seats in: it is never trimmed.
      const events = eventId ? [eventId] : await guard(redis.smembers(keys.sessionEvents(proof.tokenHash)));
      const released = await Promise.all(events.map((e) => releaseIn(e, session.id, proof.now, seatIds)));
      return { sessionId: session.id, released: released.flat() };
    },

    async endSession(session, now) {
      // Redis first: it is what every request of the session asks. If Redis is down this fails (503)
      // with nothing changed, and a retry ends the session; the database alone could not stop its locks.
      const events = await sessions.endInRedis(session.tokenHash);
      await sessions.end(session.id, now);
      return releaseEverywhere(events, session.id, now);
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
      // One HGETALL, whatever the size of the event (at most one field per seat), read as a flat array
      // as takenIds reads it: no object of 10,000 keys.
      const flat = await guard(redis.holdAll(keys.holds(eventId)));
      const live = new Map<string, LiveHold>();
      for (let i = 0; i < flat.length; i += 2) {
        const seatId = flat[i]!;
        if (seatId === READY) continue;
        const state = toState(seatId, flat[i + 1]!);
        if (state.status === 'locked' && state.lockedBy && state.lockUntil && state.lockUntil > now)
          live.set(seatId, { sessionId: state.lockedBy, until: state.lockUntil });
      }
      return live;
    },

    async takenIds(eventId, now) {
      // The hash as a flat array (no object of 10,000 keys), each hold read only up to its deadline.
      const flat = await guard(redis.holdAll(keys.holds(eventId)));
      const at = now.getTime();
      const taken: string[] = [];
      let ready = false;
      for (let i = 0; i < flat.length; i += 2) {
        const [field, value] = [flat[i]!, flat[i + 1]!];
        const bar = value.indexOf('|');
        if (bar >= 0) {
          if (Number(value.slice(bar + 1, value.indexOf('|', bar + 1))) > at) taken.push(field);
        } else if (field === READY) ready = true;
        else taken.push(field); // sold
      }
      // Sold seats not loaded here yet (no lock since a flush): the database knows them.
      return ready ? taken : [...taken, ...(await seats.soldIds(eventId))];
    },

    async forget(sessionId, eventId, seatIds) {
      // The sale is committed: a Redis failure here must not turn it into an error. A seat left unmarked
      // can be held again once its hold runs out, but never sold again: the database refuses the sale.
      await redis
        .holdSell(keys.holds(eventId), keys.mine(eventId, sessionId), ...seatIds)
        .catch(() => undefined);
    },

    async unsell(eventId, seatIds) {
      if (seatIds.length > 0)
        await guard(redis.holdUnsell(keys.holds(eventId), keys.heads(eventId), ...seatIds));
    },

    async sweepDeadSessions(now, pageSize) {
      try {
        const freed: string[] = [];
        const since = new Date(now.getTime() - deps.lockTtlMs - GONE_MS);
        for (let after = '00000000-0000-0000-0000-000000000000'; ;) {
          const page = await deps.directory.deadSince(since, now, after, pageSize);
          for (const s of page)
            freed.push(...(await releaseEverywhere(await sessions.endInRedis(s.tokenHash), s.id, now)));
          if (page.length < pageSize) break;
          after = page[page.length - 1]!.id;
        }
        return freed;
      } catch (e) {
        // Redis (or the database) is down: the next run sweeps; the rest of the cleanup must still run.
        if (isUnavailable(e)) return [];
        throw e;
      }
    },
  };
}

// How long a session's index of events is kept: past its hold's deadline, for the sweep of ended sessions.
const eventsTtl = (req: AcquireRequest) => req.until.getTime() - req.session.now.getTime() + GONE_MS;

function readHold(
  [kind, detail, deadline]: HoldReply,
  sessionId: string,
  seatIds: readonly string[],
): AcquireResult {
  switch (kind) {
    case 'unavailable':
      return { kind: 'unavailable', seatIDs: sortLike(seatIds, detail as string[]) };
    case 'sold-out':
      return { kind: 'unavailable', seatIDs: [], soldOut: detail as string[] };
    case 'too-many':
      return { kind: 'too-many', wouldHold: Number(detail) };
    case 'ok':
      return {
        kind: 'ok',
        sessionId,
        heldAfter: (detail as string[]).sort(),
        until: new Date(Number(deadline)),
      };
    default:
      return { kind: 'no-session' };
  }
}

function toState(id: string, value: string | null): SeatState {
  if (value === null) return { id, status: 'available', lockedBy: null, lockUntil: null };
  if (value === 'sold') return { id, status: 'confirmed', lockedBy: null, lockUntil: null };
  const [owner, until] = value.split('|');
  return { id, status: 'locked', lockedBy: owner!, lockUntil: new Date(Number(until)) };
}

const isUnavailable = (e: unknown) => isDomainError(e) && e.code === 'SERVICE_UNAVAILABLE';
