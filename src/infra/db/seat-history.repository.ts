import type { SeatChangeRecord, SeatStatus } from '../../domain/types.js';
import type { SeatHistoryRepository } from '../../services/ports.js';
import type { Db, Queryable } from './db.js';

/** Records a sale or a refund of seats, inside the transaction that makes it. */
export async function recordSeatChanges(
  tx: Queryable,
  c: {
    eventId: string;
    reservationId: string;
    seatIds: readonly string[];
    from: SeatStatus;
    to: SeatStatus;
    reason: SeatChangeRecord['reason'];
    now: Date;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO seat_history (event_id, seat_id, reservation_id, at, from_status, to_status, reason)
     SELECT $1, unnest($2::uuid[]), $3, $4, $5, $6, $7`,
    [c.eventId, c.seatIds, c.reservationId, c.now, c.from, c.to, c.reason],
  );
}

export function seatHistoryRepository(db: Db): SeatHistoryRepository {
  return {
    async list(eventId, seatId) {
      const { rows } = await db.query<Omit<SeatChangeRecord, 'at'> & { at: Date }>(
        `SELECT seat_id AS "seatID", at, from_status AS "from", to_status AS "to", reason
           FROM seat_history
          WHERE event_id = $1 AND ($2::uuid IS NULL OR seat_id = $2)
          ORDER BY id`,
        [eventId, seatId ?? null],
      );
      return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
    },
  };
}
