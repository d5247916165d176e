import type { SeatLayout, SeatRecord, SeatRepository } from '../../services/ports.js';
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
    async layout(eventId) {
      const { rows } = await db.query<SeatLayout>(
        `SELECT id, name, price, section, row_name AS row, number, category, accessible, rank, area_id AS area
           FROM seats WHERE event_id = $1 ORDER BY position`,
        [eventId],
      );
      return rows;
    },
    async places(eventId) {
      const { rows } = await db.query<{ id: string; area: string }>(
        `SELECT id, area_id AS area FROM seats WHERE event_id = $1 AND area_id IS NOT NULL ORDER BY area_id, id`,
        [eventId],
      );
      return rows;
    },
    async areasOf(ids) {
      const { rows } = await db.query<{ id: string; area: string }>(
        `SELECT id, area_id AS area FROM seats WHERE id = ANY($1::uuid[]) AND area_id IS NOT NULL`,
        [ids],
      );
      return new Map(rows.map((r) => [r.id, r.area]));
    },
    async soldIds(eventId) {
      const { rows } = await db.query<{ id: string }>(`SELECT id FROM seats WHERE event_id = $1 AND sold`, [
        eventId,
      ]);
      return rows.map((r) => r.id);
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
