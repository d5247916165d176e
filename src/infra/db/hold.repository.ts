import { checkHeld, sortLike, type SeatState } from '../../domain/seat-rules.js';
import type { HoldStore, LiveHold } from '../../services/ports.js';
import { namedStatement, type Db } from './db.js';
import { proofArgs } from './session.repository.js';

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

// `locked_by` is set exactly when a seat is locked (a CHECK constraint), so queries select holds by
// `locked_by` alone: that is what the partial index seats_locked_by serves, however many holds there are.
const RELEASE = `UPDATE seats s SET status = 'available', locked_by = NULL, lock_until = NULL`;

interface LockRow {
  outcome: 'ok' | 'no-session' | 'unknown' | 'unavailable' | 'too-many';
  session_id: string | null;
  seat_ids: string[] | null;
  deadline: Date | null;
  held: number | null;
  sold_out: string[] | null;
}

// The lock and the cancel: the hot path's two statements, each kept planned on every connection.
const LOCK = namedStatement(
  'lock_seats',
  `SELECT * FROM lock_seats($1, $5, $6::uuid[], $2, $7, $8 * interval '1 millisecond', $9, $3, $4,
                                  $10::uuid[], $11::int[])`,
);
const CANCEL = namedStatement('release_seats', 'SELECT * FROM release_seats($1, $5, $6::uuid[], $2, $3, $4)');

/**
 * Holds kept in the seats table itself (`locked_by`, `lock_until`). A lock and a release are each one
 * call of a function (003_hot_path.sql, where their rules are written out; their current form in
 * 010_planned_once.sql): one round trip, session check included.
 */
export function holdRepository(db: Db): HoldStore {
  return {
    inDatabase: true,
    forget: () => Promise.resolve(),
    // A refund's own transaction already put the seats back on sale in the seats table.
    unsell: () => Promise.resolve(),

    async acquire({ session, eventId, seatIds, places = [], until, capMs, maxSeats }) {
      const { rows } = await db.query<LockRow>(LOCK, [
        ...proofArgs(session),
        eventId,
        seatIds,
        until,
        capMs,
        maxSeats,
        places.map((p) => p.areaId),
        places.map((p) => p.quantity),
      ]);
      const r = rows[0]!;
      switch (r.outcome) {
        case 'ok':
          return { kind: 'ok', sessionId: r.session_id!, heldAfter: r.seat_ids!, until: r.deadline! };
        case 'unknown':
          return { kind: 'unknown', seatIDs: r.seat_ids! };
        case 'unavailable':
          return r.sold_out?.length
            ? { kind: 'unavailable', seatIDs: [], soldOut: r.sold_out }
            : { kind: 'unavailable', seatIDs: sortLike(seatIds, r.seat_ids!) };
        case 'too-many':
          return { kind: 'too-many', wouldHold: r.held! };
        case 'no-session':
          return { kind: 'no-session' };
      }
    },

    async release({ session, eventId, seatIds }) {
      const { rows } = await db.query<{ outcome: string; session_id: string; seat_ids: string[] }>(CANCEL, [
        ...proofArgs(session),
        eventId ?? null,
        seatIds ?? null,
      ]);
      const r = rows[0]!;
      return r.outcome === 'ok' ? { sessionId: r.session_id, released: r.seat_ids } : null;
    },

    endSession: ({ id: sessionId }, now) =>
      db.transaction(async (tx) => {
        // The session row first, as a lock takes it: a racing lock either ran before (its holds are
        // released here) or waits, then finds the session ended.
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

    async takenIds(eventId, now) {
      const { rows } = await db.query<{ id: string }>(
        `SELECT id FROM seats
          WHERE event_id = $1 AND (status = 'confirmed' OR (status = 'locked' AND lock_until > $2))`,
        [eventId, now],
      );
      return rows.map((r) => r.id);
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
