import type { Session } from '../../domain/types.js';
import type { SessionRepository } from '../../services/ports.js';
import type { Db } from './db.js';

export function sessionRepository(db: Db): SessionRepository {
  return {
    async create({ id, tokenHash, now, expiresAt }) {
      await db.query(
        'INSERT INTO sessions (id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)',
        [id, tokenHash, now, expiresAt],
      );
    },
    async touch(tokenHash, now, expiresAt) {
      const { rows } = await db.query<{ id: string; expires_at: Date }>(
        `UPDATE sessions SET expires_at = $3
          WHERE token_hash = $1 AND ended_at IS NULL AND expires_at > $2
          RETURNING id, expires_at`,
        [tokenHash, now, expiresAt],
      );
      const row = rows[0];
      return row ? ({ id: row.id, expiresAt: row.expires_at } satisfies Session) : null;
    },
  };
}

/** What a hold store kept outside the database needs to know about sessions (Redis mode). */
export interface SessionLiveness {
  isLive(id: string, now: Date): Promise<boolean>;
  end(id: string, now: Date): Promise<void>;
  /** Those of `ids` that ended, expired or are gone. */
  deadAmong(ids: readonly string[], now: Date): Promise<string[]>;
}

export function sessionLiveness(db: Db): SessionLiveness {
  return {
    async isLive(id, now) {
      const { rows } = await db.query(
        'SELECT 1 FROM sessions WHERE id = $1 AND ended_at IS NULL AND expires_at > $2',
        [id, now],
      );
      return rows.length > 0;
    },
    async end(id, now) {
      await db.query('UPDATE sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL', [id, now]);
    },
    async deadAmong(ids, now) {
      const { rows } = await db.query<{ id: string }>(
        `SELECT id FROM unnest($1::uuid[]) AS given(id)
          WHERE NOT EXISTS (SELECT 1 FROM sessions s
                             WHERE s.id = given.id AND s.ended_at IS NULL AND s.expires_at > $2)`,
        [ids, now],
      );
      return rows.map((r) => r.id);
    },
  };
}
