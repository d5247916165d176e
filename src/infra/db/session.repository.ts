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
