import type { WebhookEventType } from '../../domain/types.js';
import type { ClaimedDelivery, OutboxRepository } from '../../services/ports.js';
import type { Db } from './db.js';
import { enqueueWebhook } from './webhook-outbox.js';

interface ClaimRow {
  message_id: string;
  webhook_id: string;
  attempts: number;
  url: string;
  secret: string;
  type: WebhookEventType;
  body: string;
  created_at: Date;
}

// An event is sold out when every seat of it is sold: one probe of the partial index on unsold seats,
// however many seats it has.
const NOTHING_ON_SALE = `NOT EXISTS (SELECT 1 FROM seats s WHERE s.event_id = e.id AND NOT s.sold)`;

export function outboxRepository(db: Db): OutboxRepository {
  return {
    async claim(now, leaseUntil, limit, claim) {
      // SKIP LOCKED: workers on several instances never wait on, or take, each other's rows; the lease
      // keeps a claimed delivery theirs after this statement commits, until it runs out (a crash).
      const { rows } = await db.query<ClaimRow>(
        `WITH due AS (
           SELECT d.message_id, d.webhook_id FROM webhook_deliveries d
            WHERE d.status = 'pending' AND d.next_attempt_at <= $1
              AND (d.claimed_until IS NULL OR d.claimed_until <= $1)
            ORDER BY d.next_attempt_at LIMIT $3
            FOR UPDATE SKIP LOCKED)
         UPDATE webhook_deliveries d SET claim = $4, claimed_until = $2
           FROM due, webhook_messages m, webhooks w
          WHERE d.message_id = due.message_id AND d.webhook_id = due.webhook_id
            AND m.id = d.message_id AND w.id = d.webhook_id
         RETURNING d.message_id, d.webhook_id, d.attempts, w.url, w.secret, m.type, m.body, m.created_at`,
        [now, leaseUntil, limit, claim],
      );
      return rows.map((r): ClaimedDelivery => ({
        messageId: r.message_id,
        webhookId: r.webhook_id,
        claim,
        url: r.url,
        secret: r.secret,
        type: r.type,
        body: r.body,
        attempts: r.attempts,
        createdAt: r.created_at,
      }));
    },

    record: (d, a, next) =>
      db.transaction(async (tx) => {
        const status = next.result === 'retrying' ? 'pending' : next.result;
        const nextAt = next.result === 'retrying' ? next.at : a.at;
        // Only while the claim is still ours: a worker whose lease ran out must not undo its successor.
        const moved = await tx.query(
          `UPDATE webhook_deliveries
              SET status = $4, attempts = attempts + 1, next_attempt_at = $5, claim = NULL,
                  claimed_until = NULL, updated_at = $6
            WHERE message_id = $1 AND webhook_id = $2 AND claim = $3 AND status = 'pending'`,
          [d.messageId, d.webhookId, d.claim, status, nextAt, a.at],
        );
        await tx.query(
          `INSERT INTO webhook_attempts (webhook_id, message_id, attempt, status_code, error, result, duration_ms, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            d.webhookId,
            d.messageId,
            d.attempts + 1,
            a.statusCode,
            a.error?.slice(0, 500) ?? null,
            moved.rowCount === 1 ? next.result : 'retrying',
            a.durationMs,
            a.at,
          ],
        );
      }),

    async markSoldOut(eventId, now) {
      // Almost always there are seats left: one plain read, no transaction, and done.
      const untold = await db.query(
        `SELECT 1 FROM events e WHERE e.id = $1 AND e.sold_out_at IS NULL AND ${NOTHING_ON_SALE}`,
        [eventId],
      );
      if (untold.rows.length === 0) return false;
      return db.transaction(async (tx) => {
        // The event's row serializes this check with refunds, which clear the mark under the same row
        // lock: NO KEY UPDATE, so that sales (which only key-share it) never wait for it.
        const { rows } = await tx.query<{ id: string; name: string; seats: number }>(
          `SELECT e.id, e.name, (SELECT count(*)::int FROM seats s WHERE s.event_id = e.id) AS seats
             FROM events e WHERE e.id = $1 AND e.sold_out_at IS NULL AND ${NOTHING_ON_SALE}
              FOR NO KEY UPDATE OF e`,
          [eventId],
        );
        const event = rows[0];
        if (!event) return false;
        // Re-checked now that the row is ours: a refund may have committed while we waited for it.
        const still = await tx.query(
          `SELECT 1 FROM events e WHERE e.id = $1 AND e.sold_out_at IS NULL AND ${NOTHING_ON_SALE}`,
          [eventId],
        );
        if (still.rows.length === 0) return false;
        await tx.query('UPDATE events SET sold_out_at = $2 WHERE id = $1', [eventId, now]);
        await enqueueWebhook(
          tx,
          'event.sold_out',
          { eventID: event.id, name: event.name, seatCount: event.seats },
          now,
        );
        return true;
      });
    },

    async soldOutUntold(limit) {
      const { rows } = await db.query<{ id: string }>(
        `SELECT e.id FROM events e WHERE e.sold_out_at IS NULL AND ${NOTHING_ON_SALE} LIMIT $1`,
        [limit],
      );
      return rows.map((r) => r.id);
    },

    async purge(before) {
      await db.query('DELETE FROM webhook_attempts WHERE at < $1', [before]);
      await db.query(`DELETE FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < $1`, [
        before,
      ]);
      await db.query(
        `DELETE FROM webhook_messages m WHERE m.created_at < $1
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.message_id = m.id)`,
        [before],
      );
    },
  };
}
