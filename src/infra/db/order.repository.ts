import type { Order } from '../../domain/types.js';
import type { OrderRepository } from '../../services/ports.js';
import type { Db } from './db.js';
import { enqueueWebhook } from './webhook-outbox.js';

export const ORDER_COLUMNS = `id AS "orderID", customer_id AS "customerID", amount, currency, status`;

export function orderRepository(db: Db): OrderRepository {
  return {
    async createPending({ id, customerId, eventId, sessionId, amount, currency, now }) {
      await db.query(
        `INSERT INTO orders (id, customer_id, event_id, session_id, amount, currency, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)`,
        [id, customerId, eventId, sessionId, amount, currency, now],
      );
    },
    async markFailed(id, { reason, chargeId, voided, now }) {
      // The failure and its webhook messages commit together (the outbox), or neither does.
      const failed = await db.transaction(async (tx) => {
        const { rows } = await tx.query<Order>(
          `UPDATE orders SET status = 'failed', failure_reason = $2, charge_id = coalesce($3, charge_id),
                  voided_at = CASE WHEN $4 THEN $5::timestamptz END, updated_at = $5
            WHERE id = $1 AND status = 'pending'
            RETURNING ${ORDER_COLUMNS}`,
          [id, reason, chargeId ?? null, voided, now],
        );
        const order = rows[0];
        if (!order) return null;
        await enqueueWebhook(tx, 'order.failed', { order, reason }, now);
        if (voided) await enqueueWebhook(tx, 'payment.voided', { order, reason }, now);
        return order;
      });
      const order = failed ?? (await this.get(id));
      if (!order) throw new Error(`order ${id} vanished`);
      return order;
    },
    async get(id) {
      const { rows } = await db.query<Order>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1`, [id]);
      return rows[0] ?? null;
    },
    async list(customerId) {
      const { rows } = await db.query<Order>(
        `SELECT ${ORDER_COLUMNS} FROM orders WHERE ($1::uuid IS NULL OR customer_id = $1) ORDER BY created_at, id`,
        [customerId ?? null],
      );
      return rows;
    },
    async stalePending(before, limit) {
      const { rows } = await db.query<{ id: string }>(
        `SELECT id FROM orders WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2`,
        [before, limit],
      );
      return rows.map((r) => r.id);
    },
  };
}
