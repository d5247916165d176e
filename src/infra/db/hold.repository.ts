import { checkHeld, decideLock, type SeatState } from '../../domain/seat-rules.js';
import type { HoldStore, LiveHold } from '../../services/ports.js';
import type { Db, Queryable } from './db.js';

interface SeatRow {
  id: string;
  status: SeatState['status'];
  locked_by: string | null;
  lock_until: Date | null;
}

const toState = (r: SeatRow): SeatState => ({
  id: r.id,
  status: r.status,
  lockedBy: r.locked_by,
  lockUntil: r.lock_until,
});

/** The session row is the per-session mutex: it serializes one session's locks and its logout. */
async function lockLiveSession(tx: Queryable, sessionId: string, now: Date): Promise<boolean> {
  const { rows } = await tx.query(
    'SELECT 1 FROM sessions WHERE id = $1 AND ended_at IS NULL AND expires_at > $2 FOR UPDATE',
    [sessionId, now],
  );
  return rows.length > 0;
}

// `locked_by` is set exactly when a seat is locked (a CHECK constraint), so queries select holds by
// `locked_by` alone: that is what the partial index seats_locked_by serves, however many holds there are.
const RELEASE = `UPDATE seats s SET status = 'available', locked_by = NULL, lock_until = NULL`;

/** Holds kept in the seats table itself (`locked_by`, `lock_until`), changed under row locks. */
export function holdRepository(db: Db): HoldStore {
  return {
    inDatabase: true,
    forget: () => Promise.resolve(),

    acquire: ({ eventId, sessionId, seatIds, now, until, maxSeats }) =>
      db.transaction(async (tx) => {
        if (!(await lockLiveSession(tx, sessionId, now))) return { kind: 'no-session' };
        // The requested seats and the session's current holds, locked in one fixed order (by id),
        // so that two requests crossing the same seats queue up instead of deadlocking.
        const { rows } = await tx.query<SeatRow>(
          `SELECT id, status, locked_by, lock_until FROM seats
            WHERE event_id = $1 AND (id = ANY($2::uuid[]) OR locked_by = $3)
            ORDER BY id FOR UPDATE`,
          [eventId, seatIds, sessionId],
        );
        const found = new Set(rows.map((r) => r.id));
        const unknown = seatIds.filter((id) => !found.has(id));
        if (unknown.length > 0) return { kind: 'unknown', seatIDs: unknown };
        const decision = decideLock(seatIds, rows.map(toState), sessionId, now, maxSeats);
        if (decision.kind !== 'ok') return decision;
        // One deadline for every seat the session now holds; its lapsed holds in the event are let go,
        // so that "all the session holds" never mixes live and lapsed seats.
        await tx.query(
          `UPDATE seats SET status = CASE WHEN id = ANY($1::uuid[]) THEN 'locked' ELSE 'available' END,
                            locked_by = CASE WHEN id = ANY($1::uuid[]) THEN $2::uuid END,
                            lock_until = CASE WHEN id = ANY($1::uuid[]) THEN $3::timestamptz END
            WHERE event_id = $4 AND (id = ANY($1::uuid[]) OR locked_by = $2)`,
          [decision.heldAfter, sessionId, until, eventId],
        );
        return decision;
      }),

    release: ({ sessionId, eventId, seatIds, now }) =>
      db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string; live: boolean }>(
          `WITH target AS (
             SELECT id, lock_until > $4 AS live FROM seats
              WHERE locked_by = $1
                AND ($2::uuid IS NULL OR event_id = $2) AND ($3::uuid[] IS NULL OR id = ANY($3::uuid[]))
              ORDER BY id FOR UPDATE)
           ${RELEASE} FROM target WHERE s.id = target.id
           RETURNING s.id, target.live`,
          [sessionId, eventId ?? null, seatIds ?? null, now],
        );
        return rows.filter((r) => r.live).map((r) => r.id);
      }),

    endSession: (sessionId, now) =>
      db.transaction(async (tx) => {
        await tx.query('UPDATE sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL', [
          sessionId,
          now,
        ]);
        const { rows } = await tx.query<{ id: string }>(
          `WITH target AS (SELECT id FROM seats WHERE locked_by = $1 ORDER BY id FOR UPDATE)
           ${RELEASE} FROM target WHERE s.id = target.id RETURNING s.id`,
          [sessionId],
        );
        return rows.map((r) => r.id);
      }),

    async heldBy(sessionId, eventId) {
      const { rows } = await db.query<{ id: string }>(
        `SELECT id FROM seats WHERE locked_by = $1 AND event_id = $2 ORDER BY position`,
        [sessionId, eventId],
      );
      return rows.map((r) => r.id);
    },

    async check(sessionId, eventId, seatIds, now) {
      const { rows } = await db.query<SeatRow>(
        'SELECT id, status, locked_by, lock_until FROM seats WHERE event_id = $1 AND id = ANY($2::uuid[])',
        [eventId, seatIds],
      );
      return checkHeld(rows.map(toState), sessionId, now);
    },

    async live(eventId, now) {
      const { rows } = await db.query<{ id: string; locked_by: string; lock_until: Date }>(
        `SELECT id, locked_by, lock_until FROM seats WHERE event_id = $1 AND status = 'locked' AND lock_until > $2`,
        [eventId, now],
      );
      return new Map<string, LiveHold>(
        rows.map((r) => [r.id, { sessionId: r.locked_by, until: r.lock_until }]),
      );
    },
  };
}
