import type { CleanupRepository } from '../../services/ports.js';
import type { Db } from './db.js';
import { RELEASE } from './hold.repository.js';

/**
 * Releases the seats named by the session_holds rows that match `due` (a condition on `h`, with $1 now),
 * at most $2 rows at a time, and deletes those rows. SKIP LOCKED: rows a lock or confirm is working on
 * right now are left for the next run, so the job never waits on (or deadlocks with) a customer's
 * request, and two instances never fight over a row. A session_holds row is deleted only once each of
 * its seats still held by its session has been released, so none is left held without a row naming it.
 */
const releaseWhere = (due: string) => `
  WITH due AS (
    SELECT h.session_id, h.event_id, h.seat_ids FROM session_holds h WHERE ${due}
     ORDER BY h.session_id, h.event_id LIMIT $2 FOR UPDATE SKIP LOCKED),
  mine AS (
    SELECT s.id, due.session_id, due.event_id FROM due JOIN seats s
        ON s.id = ANY (due.seat_ids) AND s.locked_by = due.session_id),
  target AS (SELECT s.id FROM seats s WHERE s.id IN (SELECT id FROM mine) ORDER BY s.id FOR UPDATE SKIP LOCKED),
  gone AS (
    DELETE FROM session_holds h USING due
     WHERE h.session_id = due.session_id AND h.event_id = due.event_id
       AND NOT EXISTS (SELECT 1 FROM mine m WHERE m.session_id = due.session_id AND m.event_id = due.event_id
                          AND m.id NOT IN (SELECT id FROM target)))
  ${RELEASE}
    FROM mine m JOIN target t ON t.id = m.id
   WHERE s.id = m.id AND s.locked_by = m.session_id
  RETURNING s.id`;

const ids = (res: { rows: { id: string }[] }) => res.rows.map((r) => r.id);

export function cleanupRepository(db: Db): CleanupRepository {
  return {
    async releaseExpired(now, limit) {
      // A row's deadline is that of every seat it names (a lock gives them all one).
      return ids(await db.query<{ id: string }>(releaseWhere('h.until <= $1'), [now, limit]));
    },
    async releaseDeadSessions(now, limit) {
      // Ended, expired, or gone altogether.
      const dead = `NOT EXISTS (SELECT 1 FROM sessions x WHERE x.id = h.session_id
                                 AND x.ended_at IS NULL AND x.expires_at > $1)`;
      return ids(await db.query<{ id: string }>(releaseWhere(dead), [now, limit]));
    },
    async purge(before) {
      await db.query('DELETE FROM idempotency_keys WHERE created_at < $1', [before]);
      await db.query(
        `DELETE FROM sessions WHERE coalesce(ended_at, expires_at) < $1
            AND NOT EXISTS (SELECT 1 FROM session_holds WHERE session_id = sessions.id)`,
        [before],
      );
    },
  };
}
