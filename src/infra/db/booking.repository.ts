import type { Order, Reservation } from '../../domain/types.js';
import type { BookingRepository } from '../../services/ports.js';
import type { Db } from './db.js';

export function bookingRepository(db: Db): BookingRepository {
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
          const paid = await tx.query(
            `UPDATE orders SET status = 'paid', charge_id = $2, updated_at = $3 WHERE id = $1 AND status = 'pending'`,
            [b.orderId, b.chargeId, b.now],
          );
          if (paid.rowCount !== 1) throw new HoldLost();
          await tx.query(
            `INSERT INTO reservations (id, event_id, customer_id, order_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
            [b.reservationId, b.eventId, b.customerId, b.orderId, b.now],
          );
          await tx.query(
            `INSERT INTO reservation_seats (seat_id, reservation_id) SELECT unnest($1::uuid[]), $2`,
            [b.seatIds, b.reservationId],
          );
          return {
            reservationID: b.reservationId,
            customerID: b.customerId,
            eventID: b.eventId,
            seatIDs: [...b.seatIds],
            orderID: b.orderId,
            status: 'confirmed',
          } satisfies Reservation;
        })
        .catch((e: unknown) => {
          if (e instanceof HoldLost || isUniqueViolation(e)) return null;
          throw e;
        }),

    async listForEvent(eventId) {
      const { rows } = await db.query<Reservation & { order: Order }>(
        `SELECT r.id AS "reservationID", r.customer_id AS "customerID", r.event_id AS "eventID",
                (SELECT coalesce(array_agg(rs.seat_id::text ORDER BY s.position), '{}')
                   FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
                  WHERE rs.reservation_id = r.id) AS "seatIDs",
                r.order_id AS "orderID", r.status,
                json_build_object('orderID', o.id, 'customerID', o.customer_id, 'amount', o.amount,
                                  'currency', o.currency, 'status', o.status) AS "order"
           FROM reservations r JOIN orders o ON o.id = r.order_id
          WHERE r.event_id = $1
          ORDER BY r.created_at, r.id`,
        [eventId],
      );
      return rows;
    },
  };
}

class HoldLost extends Error {}

const isUniqueViolation = (e: unknown) =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';
