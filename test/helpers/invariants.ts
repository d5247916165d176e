import { expect } from 'vitest';
import type { Queryable } from '../../src/infra/db/db.js';

/**
 * The sales invariants after the sale, read straight from the database: every seat is sold at most once
 * at a time (one active reservation seat), a seat is sold exactly when it has one, and the paid orders
 * that are not refunded add up to the price of what is sold.
 */
export async function expectSalesInvariants(db: Queryable, eventId: string): Promise<void> {
  const q = async <T>(sql: string) => (await db.query<T>(sql, [eventId])).rows;
  const twice = await q<{ seat_id: string }>(
    `SELECT rs.seat_id FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
      WHERE s.event_id = $1 AND rs.released_at IS NULL GROUP BY rs.seat_id HAVING count(*) > 1`,
  );
  expect(twice, 'seats in two active reservations').toEqual([]);
  const mismatched = await q<{ id: string }>(
    `SELECT s.id FROM seats s WHERE s.event_id = $1
        AND (s.status = 'confirmed') <> EXISTS (
          SELECT 1 FROM reservation_seats rs WHERE rs.seat_id = s.id AND rs.released_at IS NULL)`,
  );
  expect(mismatched, 'seats sold without an active reservation, or the reverse').toEqual([]);
  const [money] = await q<{ paid: number; sold: number }>(
    `SELECT (SELECT coalesce(sum(amount), 0)::int FROM orders WHERE event_id = $1 AND status = 'paid') AS paid,
            (SELECT coalesce(sum(price), 0)::int FROM seats WHERE event_id = $1 AND status = 'confirmed') AS sold`,
  );
  expect(money!.paid, 'paid orders = price of what is sold').toBe(money!.sold);
  const wrong = await q<{ id: string }>(
    `SELECT r.id FROM reservations r JOIN orders o ON o.id = r.order_id WHERE r.event_id = $1
        AND NOT ((r.status = 'confirmed' AND o.status = 'paid') OR (r.status = 'cancelled' AND o.status = 'refunded'))`,
  );
  expect(wrong, 'reservation and order states disagree').toEqual([]);
  // Each place is a row sold at most once (above), so an area sells at most as many rows as it has.
  const areas = await q<{ id: string; capacity: number; places: number; sold: number }>(
    `SELECT a.id, a.capacity, count(s.id)::int AS places, (count(s.id) FILTER (WHERE s.status = 'confirmed'))::int AS sold
       FROM areas a LEFT JOIN seats s ON s.area_id = a.id WHERE a.event_id = $1 GROUP BY a.id`,
  );
  for (const a of areas) {
    expect(a.places, `area ${a.id}: one place row per unit of capacity`).toBe(a.capacity);
    expect(a.sold, `area ${a.id}: sold within capacity`).toBeLessThanOrEqual(a.capacity);
  }
}

/**
 * Holds kept in the seats table are found through session_holds (011_hot_holds.sql), so it must name
 * every seat a session holds, lapsed or not, in its row for the seat's event, with a deadline no earlier
 * than the seat's.
 */
export async function expectHoldsListed(db: Queryable, eventId: string): Promise<void> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT s.id FROM seats s WHERE s.event_id = $1 AND s.status = 'locked'
        AND NOT EXISTS (SELECT 1 FROM session_holds h WHERE h.session_id = s.locked_by
                         AND h.event_id = s.event_id AND s.id = ANY (h.seat_ids) AND h.until >= s.lock_until)`,
    [eventId],
  );
  expect(rows, 'held seats that session_holds does not name').toEqual([]);
}
