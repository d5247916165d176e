import type { EventSummary } from '../../domain/types.js';
import type { EventRepository, EventSeatStats } from '../../services/ports.js';
import type { Db } from './db.js';

export function eventRepository(db: Db): EventRepository {
  return {
    async create({ id, name, currency, seats, now }) {
      await db.transaction(async (tx) => {
        await tx.query('INSERT INTO events (id, name, currency, created_at) VALUES ($1, $2, $3, $4)', [
          id,
          name,
          currency,
          now,
        ]);
        // One statement for the whole layout: a 10,000-seat event is one round trip, not 10,000.
        await tx.query(
          `INSERT INTO seats (id, event_id, position, name, price)
           SELECT s.id, $1, s.position, s.name, s.price
             FROM unnest($2::uuid[], $3::int[], $4::text[], $5::int[]) AS s (id, position, name, price)`,
          [
            id,
            seats.map((s) => s.id),
            seats.map((_, i) => i),
            seats.map((s) => s.name),
            seats.map((s) => s.price),
          ],
        );
      });
    },
    async get(id) {
      const { rows } = await db.query<{ id: string; name: string; currency: string }>(
        'SELECT id, name, currency FROM events WHERE id = $1',
        [id],
      );
      return rows[0] ?? null;
    },
    async list(now) {
      const { rows } = await db.query<EventSummary>(
        `SELECT e.id AS "eventID", e.name, e.currency,
                count(s.id)::int AS "seatCount",
                (count(s.id) FILTER (WHERE s.status = 'available' OR (s.status = 'locked' AND s.lock_until <= $1)))::int
                  AS "availableCount"
           FROM events e LEFT JOIN seats s ON s.event_id = e.id
          GROUP BY e.id
          ORDER BY e.created_at, e.id`,
        [now],
      );
      return rows;
    },
    async stats(now, limit) {
      const { rows } = await db.query<EventSeatStats>(
        `SELECT e.id AS "eventID",
                (count(*) FILTER (WHERE s.status = 'confirmed'))::int AS sold,
                (count(*) FILTER (WHERE s.status = 'locked' AND s.lock_until > $1))::int AS held
           FROM (SELECT id FROM events ORDER BY created_at DESC, id LIMIT $2) e
           JOIN seats s ON s.event_id = e.id
          GROUP BY e.id`,
        [now, limit],
      );
      return rows;
    },
    async count() {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
      return rows[0]?.n ?? 0;
    },
  };
}
