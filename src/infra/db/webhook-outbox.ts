import { randomUUID } from 'node:crypto';
import type { WebhookEventType } from '../../domain/types.js';
import type { Queryable } from './db.js';

/**
 * Writes a webhook message into the outbox, inside the caller's transaction: it commits with the change
 * it tells of, or not at all. One delivery per webhook subscribed to the type right now; nothing at all
 * when nobody listens. The body follows Standard Webhooks' `{"type", "timestamp", "data"}`.
 */
export async function enqueueWebhook(
  tx: Queryable,
  type: WebhookEventType,
  data: unknown,
  now: Date,
): Promise<void> {
  const body = JSON.stringify({ type, timestamp: now.toISOString(), data });
  await tx.query(
    `WITH targets AS (SELECT id FROM webhooks WHERE deleted_at IS NULL AND $2 = ANY (events)),
          message AS (
            INSERT INTO webhook_messages (id, type, body, created_at)
            SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM targets)
            RETURNING id)
     INSERT INTO webhook_deliveries (message_id, webhook_id, next_attempt_at, updated_at)
     SELECT message.id, targets.id, $4, $4 FROM message, targets`,
    [randomUUID(), type, body, now],
  );
}
