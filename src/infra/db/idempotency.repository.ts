import type { IdempotencyRepository } from '../../services/ports.js';
import type { Db, Queryable } from './db.js';

// A key still "in progress" this long after it was taken belongs to a request that died with its instance
// (kill -9, a crash) and will never be finished or freed: the next retry takes it over instead of being
// turned away until the record is purged. A live confirm takes milliseconds (its queries time out after
// seconds); were a slow one overtaken, the seat rows still let only one of the two sell, and the other
// voids its charge.
const ABANDONED_AFTER_MS = 15_000;

export function idempotencyRepository(db: Db): IdempotencyRepository {
  return {
    async begin(sessionId, key, requestHash, now) {
      const inserted = await db.query(
        `INSERT INTO idempotency_keys (session_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (session_id, key) DO UPDATE SET created_at = EXCLUDED.created_at
           WHERE idempotency_keys.status_code IS NULL AND idempotency_keys.request_hash = EXCLUDED.request_hash
             AND idempotency_keys.created_at < $5
         RETURNING 1`,
        [sessionId, key, requestHash, now, new Date(now.getTime() - ABANDONED_AFTER_MS)],
      );
      if (inserted.rows.length > 0) return { state: 'new' };
      const { rows } = await db.query<{
        request_hash: string;
        status_code: number | null;
        response: unknown;
      }>(
        'SELECT request_hash, status_code, response FROM idempotency_keys WHERE session_id = $1 AND key = $2',
        [sessionId, key],
      );
      const row = rows[0];
      if (!row) return this.begin(sessionId, key, requestHash, now); // abandoned in between: take it over
      if (row.request_hash !== requestHash) return { state: 'conflict' };
      if (row.status_code === null) return { state: 'pending' };
      return { state: 'replay', statusCode: row.status_code, body: row.response };
    },
    complete: (sessionId, key, statusCode, body) => completeKey(db, sessionId, key, statusCode, body),
    async abandon(sessionId, key) {
      await db.query(
        'DELETE FROM idempotency_keys WHERE session_id = $1 AND key = $2 AND status_code IS NULL',
        [sessionId, key],
      );
    },
  };
}

/**
 * Stores a request's answer under its key (a sale does it in its own transaction). The first answer
 * stays: a second completion of a key already answered changes nothing.
 */
export async function completeKey(
  q: Queryable,
  sessionId: string,
  key: string,
  statusCode: number,
  body: unknown,
): Promise<void> {
  await q.query(
    `UPDATE idempotency_keys SET status_code = $3, response = $4
      WHERE session_id = $1 AND key = $2 AND status_code IS NULL`,
    [sessionId, key, statusCode, JSON.stringify(body)],
  );
}
