import type { Session } from '../../domain/types.js';
import type { SessionProof, SessionRepository } from '../../services/ports.js';
import { namedStatement, type Db } from './db.js';

/** The arguments of `live_session` and of the lock functions that check the session first (003_hot_path.sql). */
export const proofArgs = (p: SessionProof) => [p.tokenHash, p.now, p.expiresAt, p.refreshBefore];

// Every session route but the lock (which checks its session itself) asks this first.
const TOUCH = namedStatement(
  'live_session',
  'SELECT id, expires_at FROM live_session($1, $2, $3, $4, false)',
);

export function sessionRepository(db: Db): SessionRepository {
  return {
    async create({ id, tokenHash, now, expiresAt }) {
      await db.query(
        'INSERT INTO sessions (id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)',
        [id, tokenHash, now, expiresAt],
      );
    },
    async touch(proof) {
      // One round trip; it writes only when the stored expiry is due to move.
      const { rows } = await db.query<{ id: string; expires_at: Date }>(TOUCH, proofArgs(proof));
      const row = rows[0];
      return row
        ? ({ id: row.id, tokenHash: proof.tokenHash, expiresAt: row.expires_at } satisfies Session)
        : null;
    },
    async end(id, now) {
      await db.query('UPDATE sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL', [id, now]);
    },
  };
}

/** What a hold store kept outside the database needs to know about sessions (Redis mode). */
export interface SessionDirectory {
  /** Moves a live session's stored expiry to `expiresAt` (never back). */
  extend(id: string, expiresAt: Date): Promise<void>;
  /** Sessions that ended or expired in (since, now], after `afterId` in id order: for the hold sweep. */
  deadSince(
    since: Date,
    now: Date,
    afterId: string,
    limit: number,
  ): Promise<{ id: string; tokenHash: Buffer }[]>;
}

export function sessionDirectory(db: Db): SessionDirectory {
  return {
    async extend(id, expiresAt) {
      await db.query(
        'UPDATE sessions SET expires_at = $2 WHERE id = $1 AND ended_at IS NULL AND expires_at < $2',
        [id, expiresAt],
      );
    },
    async deadSince(since, now, afterId, limit) {
      const { rows } = await db.query<{ id: string; token_hash: Buffer }>(
        `SELECT id, token_hash FROM sessions
          WHERE id > $3 AND ((ended_at > $1 AND ended_at <= $2) OR (expires_at > $1 AND expires_at <= $2))
          ORDER BY id LIMIT $4`,
        [since, now, afterId, limit],
      );
      return rows.map((r) => ({ id: r.id, tokenHash: r.token_hash }));
    },
  };
}
