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

// No index names a hold's columns, so that a hold is a HOT update (011_hot_holds.sql): a session's holds
// are found through session_holds, which names every seat the session holds live (and maybe more), and
// each seat's own row is checked again.
/** A seat let go (with `FROM … WHERE s.id = …`): by a logout here, by the cleanup job in cleanup.repository.ts. */
export const RELEASE = `UPDATE seats s SET status = 'available', locked_by = NULL, lock_until = NULL, hold_began = NULL`;
const HELD_BY_SESSION = 'SELECT unnest(seat_ids) FROM session_holds WHERE session_id = $1';
/** An event's live holds ($1 the event, $2 now): the FROM clause, for the seats' columns (`s`). */
const LIVE_HOLDS = `FROM session_holds h JOIN seats s ON s.id = ANY (h.seat_ids)
  WHERE h.event_id = $1 AND h.until > $2 AND s.locked_by = h.session_id AND s.lock_until > $2`;

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
 * Holds kept in the seats table itself (`locked_by`, `lock_until`), found through session_holds. A lock and
 * a release are each one call of a function (003_hot_path.sql, where their rules are written out; their
 * current forms in 012_leaner_lock_call.sql and 011_hot_holds.sql): one round trip, session check included.
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
          `WITH target AS (SELECT id FROM seats WHERE id = ANY (${HELD_BY_SESSION}) AND locked_by = $1
                            ORDER BY id FOR UPDATE),
                gone AS (DELETE FROM session_holds WHERE session_id = $1)
           ${RELEASE} FROM target WHERE s.id = target.id RETURNING s.id`,
          [sessionId],
        );
        return rows.map((r) => r.id);
      }),

    async heldBy(sessionId, eventId) {
      const { rows } = await db.query<{ id: string }>(
        `SELECT s.id FROM session_holds h JOIN seats s ON s.id = ANY (h.seat_ids)
          WHERE h.session_id = $1 AND h.event_id = $2 AND s.locked_by = $1 ORDER BY s.position`,
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
        `SELECT id FROM seats WHERE event_id = $1 AND sold
         UNION ALL
         SELECT s.id ${LIVE_HOLDS}`,
        [eventId, now],
      );
      return rows.map((r) => r.id);
    },

    async live(eventId, now) {
      const { rows } = await db.query<{ id: string; locked_by: string; lock_until: Date }>(
        `SELECT s.id, s.locked_by, s.lock_until ${LIVE_HOLDS}`,
        [eventId, now],
      );
      return new Map<string, LiveHold>(
        rows.map((r) => [r.id, { sessionId: r.locked_by, until: r.lock_until }]),
      );
    },
  };
}
