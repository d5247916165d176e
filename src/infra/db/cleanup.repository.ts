import type { CleanupRepository } from '../../services/ports.js';
import type { Db } from './db.js';

// SKIP LOCKED: rows a lock or confirm is working on right now are left for the next run, so the job
// never waits on (or deadlocks with) a customer's request, and two instances never fight over a row.
const releaseWhere = (condition: string) => `
  UPDATE seats SET status = 'available', locked_by = NULL, lock_until = NULL
   WHERE id IN (SELECT id FROM seats WHERE status = 'locked' AND ${condition}
                 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING id`;

const ids = (res: { rows: { id: string }[] }) => res.rows.map((r) => r.id);

export function cleanupRepository(db: Db): CleanupRepository {
  return {
    async releaseExpired(now, limit) {
      return ids(await db.query<{ id: string }>(releaseWhere('lock_until <= $1'), [now, limit]));
    },
    async releaseDeadSessions(now, limit) {
      const dead = `locked_by IN (SELECT id FROM sessions WHERE ended_at IS NOT NULL OR expires_at <= $1)`;
      return ids(await db.query<{ id: string }>(releaseWhere(dead), [now, limit]));
    },
    async purge(before) {
      await db.query('DELETE FROM idempotency_keys WHERE created_at < $1', [before]);
      await db.query(
        `DELETE FROM sessions WHERE coalesce(ended_at, expires_at) < $1
            AND NOT EXISTS (SELECT 1 FROM seats WHERE locked_by = sessions.id)`,
        [before],
      );
    },
  };
}
