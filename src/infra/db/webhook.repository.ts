import type { DeliveryAttempt, WebhookInfo } from '../../domain/types.js';
import type { WebhookRepository } from '../../services/ports.js';
import type { Db } from './db.js';

export function webhookRepository(db: Db): WebhookRepository {
  return {
    async create({ id, url, events, secret, now }) {
      await db.query(
        'INSERT INTO webhooks (id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5)',
        [id, url, events, secret, now],
      );
    },
    async list() {
      // Never the secret: it is shown once, when the webhook is made.
      const { rows } = await db.query<Omit<WebhookInfo, 'createdAt'> & { createdAt: Date }>(
        `SELECT id AS "webhookID", url, events, created_at AS "createdAt"
           FROM webhooks WHERE deleted_at IS NULL ORDER BY created_at, id`,
      );
      return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
    },
    remove: (id, now) =>
      db.transaction(async (tx) => {
        const gone = await tx.query(
          'UPDATE webhooks SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL',
          [id, now],
        );
        if (gone.rowCount === 0) return false;
        await tx.query(
          `UPDATE webhook_deliveries SET status = 'cancelled', updated_at = $2
            WHERE webhook_id = $1 AND status = 'pending'`,
          [id, now],
        );
        return true;
      }),
    async exists(id) {
      const { rows } = await db.query('SELECT 1 FROM webhooks WHERE id = $1 AND deleted_at IS NULL', [id]);
      return rows.length > 0;
    },
    async attempts(webhookId, limit) {
      const { rows } = await db.query<Omit<DeliveryAttempt, 'at'> & { at: Date }>(
        `SELECT a.message_id AS "messageID", m.type AS "eventType", a.attempt, a.status_code AS "statusCode",
                a.error, a.result, a.duration_ms AS "durationMs", a.at
           FROM webhook_attempts a JOIN webhook_messages m ON m.id = a.message_id
          WHERE a.webhook_id = $1
          ORDER BY a.id DESC LIMIT $2`,
        [webhookId, limit],
      );
      return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
    },
  };
}
