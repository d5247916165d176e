import type { SeatRecord, SeatRepository } from '../../services/ports.js';
import type { Db } from './db.js';

const COLUMNS = `id, name, price, status = 'confirmed' AS confirmed`;

export function seatRepository(db: Db): SeatRepository {
  return {
    async listForEvent(eventId) {
      const { rows } = await db.query<SeatRecord>(
        `SELECT ${COLUMNS} FROM seats WHERE event_id = $1 ORDER BY position`,
        [eventId],
      );
      return rows;
    },
    async find(eventId, seatIds) {
      const { rows } = await db.query<SeatRecord>(
        `SELECT ${COLUMNS} FROM seats WHERE event_id = $1 AND id = ANY($2::uuid[]) ORDER BY position`,
        [eventId, seatIds],
      );
      return rows;
    },
  };
}
