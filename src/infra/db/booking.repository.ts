import type { Order, Reservation } from '../../domain/types.js';
import type { BookingRepository } from '../../services/ports.js';
import { errorCode, type Db, type Queryable } from './db.js';
import { completeKey } from './idempotency.repository.js';
import { ORDER_COLUMNS } from './order.repository.js';
import { recordSeatChanges } from './seat-history.repository.js';
import { enqueueWebhook } from './webhook-outbox.js';

type Booked = Reservation & { order: Order };

/** Reservations without places leave the field out, as events without areas do. */
const shape = ({ places, ...rest }: Booked): Booked => (places ? { ...rest, places } : rest);

// A reservation lists every seat it was sold, released by a refund or not: a cancelled reservation
// still shows what it had.
const SELECT_RESERVATIONS = `
  SELECT r.id AS "reservationID", r.customer_id AS "customerID", r.event_id AS "eventID",
         (SELECT coalesce(array_agg(rs.seat_id::text ORDER BY s.position), '{}')
            FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
           WHERE rs.reservation_id = r.id AND s.area_id IS NULL) AS "seatIDs",
         (SELECT json_agg(json_build_object('areaID', p.area_id, 'quantity', p.n) ORDER BY p.position)
            FROM (SELECT s.area_id, a.position, count(*)::int AS n
                    FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id JOIN areas a ON a.id = s.area_id
                   WHERE rs.reservation_id = r.id GROUP BY s.area_id, a.position) p) AS places,
         r.order_id AS "orderID", r.status,
         json_build_object('orderID', o.id, 'customerID', o.customer_id, 'amount', o.amount,
                           'currency', o.currency, 'status', o.status) AS "order"
    FROM reservations r JOIN orders o ON o.id = r.order_id`;

const withoutOrder = ({ order: _order, ...reservation }: Booked): Reservation => reservation;

export function bookingRepository(db: Db): BookingRepository {
  const get = async (q: Queryable, id: string) =>
    (await q.query<Booked>(`${SELECT_RESERVATIONS} WHERE r.id = $1`, [id])).rows.map(shape)[0] ?? null;

  return {
    confirm: (b) =>
      db
        .transaction(async (tx) => {
          // A seat may be sold while this session's hold on it is in time or, with holds kept elsewhere
          // and checked before, while it is unsold.
          // Rows are locked in id order, as a lock takes them, so a sale and a lock never deadlock.
          const sold = await tx.query<{ id: string }>(
            `WITH target AS (
               SELECT id FROM seats
                WHERE event_id = $1 AND id = ANY($2::uuid[])
                  AND ${b.requireHold ? `locked_by = $3 AND lock_until > $4` : `status <> 'confirmed'`}
                ORDER BY id FOR UPDATE)
             UPDATE seats s SET status = 'confirmed', locked_by = NULL, lock_until = NULL
               FROM target WHERE s.id = target.id
             RETURNING s.id`,
            b.requireHold ? [b.eventId, b.seatIds, b.sessionId, b.now] : [b.eventId, b.seatIds],
          );
          // Nothing is written unless every seat passed: the transaction rolls back on the way out.
          if (sold.rows.length !== b.seatIds.length) throw new HoldLost();
          // Still pending: if the recovery job already voided this order, the sale must not happen.
          const paid = await tx.query<Order>(
            `UPDATE orders SET status = 'paid', charge_id = $2, updated_at = $3 WHERE id = $1 AND status = 'pending'
             RETURNING ${ORDER_COLUMNS}`,
            [b.orderId, b.chargeId, b.now],
          );
          const order = paid.rows[0];
          if (!order) throw new HoldLost();
          await tx.query(
            `INSERT INTO reservations (id, event_id, customer_id, order_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
            [b.reservationId, b.eventId, b.customerId, b.orderId, b.now],
          );
          await tx.query(
            `INSERT INTO reservation_seats (seat_id, reservation_id) SELECT unnest($1::uuid[]), $2`,
            [b.seatIds, b.reservationId],
          );
          const sale = { eventId: b.eventId, reservationId: b.reservationId, seatIds: b.seatIds, now: b.now };
          await recordSeatChanges(tx, { ...sale, from: 'locked', to: 'confirmed', reason: 'sale' });
          const reservation: Reservation = {
            reservationID: b.reservationId,
            customerID: b.customerId,
            eventID: b.eventId,
            ...b.shown,
            orderID: b.orderId,
            status: 'confirmed',
          };
          await enqueueWebhook(tx, 'reservation.confirmed', { reservation, order }, b.now);
          if (b.idempotencyKey !== undefined)
            await completeKey(tx, b.sessionId, b.idempotencyKey, 201, { reservation, order });
          return reservation;
        })
        .catch((e: unknown) => {
          if (e instanceof HoldLost || isUniqueViolation(e)) return null;
          throw e;
        }),

    cancel: ({ reservationId, refundId, now }) =>
      db.transaction(async (tx) => {
        // The reservation row is the cancel's mutex: a second cancel waits here, then finds it done.
        const locked = await tx.query<{ status: string; event_id: string }>(
          'SELECT status, event_id FROM reservations WHERE id = $1 FOR UPDATE',
          [reservationId],
        );
        const row = locked.rows[0];
        if (!row) return null;
        if (row.status !== 'confirmed') {
          const current = (await get(tx, reservationId))!;
          return { reservation: withoutOrder(current), order: current.order, changed: false, released: [] };
        }
        // Clears the sell-out mark, always taking the event's row: the sold-out check takes it too (see
        // markSoldOut), so the two never interleave and a refund never leaves a stale mark behind.
        await tx.query('UPDATE events SET sold_out_at = NULL WHERE id = $1', [row.event_id]);
        await tx.query(`UPDATE reservations SET status = 'cancelled', cancelled_at = $2 WHERE id = $1`, [
          reservationId,
          now,
        ]);
        await tx.query(
          `UPDATE orders SET status = 'refunded', refund_id = $2, refunded_at = $3, updated_at = $3
            WHERE id = (SELECT order_id FROM reservations WHERE id = $1) AND status = 'paid'`,
          [reservationId, refundId, now],
        );
        const released = await tx.query<{ seat_id: string }>(
          `UPDATE reservation_seats SET released_at = $2 WHERE reservation_id = $1 AND released_at IS NULL
           RETURNING seat_id`,
          [reservationId, now],
        );
        const seatIds = released.rows.map((r) => r.seat_id).sort();
        // In id order, as a lock takes them, so that a refund racing a lock never deadlocks.
        await tx.query(
          `WITH target AS (SELECT id FROM seats WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE)
           UPDATE seats s SET status = 'available', locked_by = NULL, lock_until = NULL
             FROM target WHERE s.id = target.id`,
          [seatIds],
        );
        await recordSeatChanges(tx, {
          eventId: row.event_id,
          reservationId,
          seatIds,
          from: 'confirmed',
          to: 'available',
          reason: 'refund',
          now,
        });
        const current = (await get(tx, reservationId))!;
        const result = { reservation: withoutOrder(current), order: current.order };
        await enqueueWebhook(tx, 'reservation.cancelled', result, now);
        return { ...result, changed: true, released: seatIds };
      }),

    async unsold(reservationId) {
      const { rows } = await db.query<{ id: string }>(
        `SELECT s.id FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
          WHERE rs.reservation_id = $1 AND s.status <> 'confirmed'`,
        [reservationId],
      );
      return rows.map((r) => r.id);
    },

    get: (id) => get(db, id),

    async listForEvent(eventId) {
      const { rows } = await db.query<Booked>(
        `${SELECT_RESERVATIONS} WHERE r.event_id = $1 ORDER BY r.created_at, r.id`,
        [eventId],
      );
      return rows.map(shape);
    },
  };
}

class HoldLost extends Error {}

const isUniqueViolation = (e: unknown) => errorCode(e) === '23505';
