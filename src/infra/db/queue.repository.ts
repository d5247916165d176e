import { createHash } from 'node:crypto';
import { ARRIVALS_FROM, planAdmissions, waitedMs, type QueueSettings } from '../../domain/queue.js';
import type { QueueSnapshot, QueueStore } from '../../services/queue-ports.js';
import type { Db } from './db.js';

// The first key of the admitter's advisory lock (the second is the event's): any constant will do
// that no other lock of the service uses.
const ADMITTER_LOCK = 727_002;

/** The second key of an event's admitter lock: 32 bits of a hash of its ID. */
const lockKey = (eventId: string) => createHash('sha256').update(eventId).digest().readInt32BE(0);

interface QueueRow {
  opens_at: Date;
  admit_per_minute: number;
  admission_seconds: number;
  opened: boolean;
  admitted: number;
  waiting: number;
  next_admit_ms: number | null;
}

const QUEUE_COLUMNS =
  'q.opens_at, q.admit_per_minute, q.admission_seconds, q.opened, q.admitted, q.waiting, q.next_admit_ms';

const settingsOf = (r: QueueRow): QueueSettings => ({
  opensAt: r.opens_at,
  admitPerMinute: r.admit_per_minute,
  admissionSeconds: r.admission_seconds,
});

const snapshotOf = (r: QueueRow): QueueSnapshot => ({
  settings: settingsOf(r),
  opened: r.opened,
  admitted: r.admitted,
  waiting: r.waiting,
});

/**
 * Waiting rooms in PostgreSQL (or PGlite). One admitter at a time per event: the instance whose
 * transaction gets `pg_try_advisory_xact_lock`, which is released with the transaction, so it works
 * through a pooler in transaction mode (PgBouncer); the others only read where the queue stands.
 */
export function queueRepository(db: Db): QueueStore {
  return {
    async list() {
      const { rows } = await db.query<QueueRow & { event_id: string }>(
        `SELECT q.event_id, ${QUEUE_COLUMNS} FROM event_queues q`,
      );
      return new Map(rows.map((r) => [r.event_id, settingsOf(r)]));
    },

    async put(eventId, s, now) {
      // opens_at may change only before the opening: the early joiners' order is drawn then.
      const { rowCount } = await db.query(
        `INSERT INTO event_queues (event_id, opens_at, admit_per_minute, admission_seconds, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (event_id) DO UPDATE
            SET opens_at = EXCLUDED.opens_at, admit_per_minute = EXCLUDED.admit_per_minute,
                admission_seconds = EXCLUDED.admission_seconds, updated_at = EXCLUDED.updated_at
          WHERE event_queues.opens_at = EXCLUDED.opens_at
             OR (NOT event_queues.opened AND event_queues.opens_at > $5)`,
        [eventId, s.opensAt, s.admitPerMinute, s.admissionSeconds, now],
      );
      return rowCount > 0 ? 'ok' : 'fixed';
    },

    async remove(eventId) {
      await db.query('DELETE FROM event_queues WHERE event_id = $1', [eventId]);
    },

    async join(eventId, tokenHash, now, drawn) {
      // FOR SHARE: a join waits for an admitter step that is opening the queue (FOR UPDATE), and that
      // step waits for joins under way, so no drawn place can slip in before places already admitted.
      await db.query(
        `INSERT INTO queue_entries (event_id, token_hash, place, joined_at)
         SELECT q.event_id, $2,
                CASE WHEN q.opened OR $3 >= q.opens_at THEN ${ARRIVALS_FROM} + nextval('queue_arrivals')
                     ELSE $4::bigint END,
                $3
           FROM event_queues q WHERE q.event_id = $1 FOR SHARE
         ON CONFLICT (event_id, token_hash) DO NOTHING`,
        [eventId, tokenHash, now, drawn],
      );
    },

    async entry(eventId, tokenHash) {
      const { rows } = await db.query<QueueRow & { rank: number | null; admitted_until: Date | null }>(
        `SELECT ${QUEUE_COLUMNS}, e.admitted_until,
                CASE WHEN e.token_hash IS NULL THEN NULL ELSE
                  (SELECT count(*) FROM queue_entries r
                    WHERE r.event_id = q.event_id AND (r.place, r.token_hash) <= (e.place, e.token_hash))::int
                END AS rank
           FROM event_queues q
           LEFT JOIN queue_entries e ON e.event_id = q.event_id AND e.token_hash = $2
          WHERE q.event_id = $1`,
        [eventId, tokenHash],
      );
      const row = rows[0];
      if (!row) return null;
      return {
        snapshot: snapshotOf(row),
        entry: row.rank === null ? null : { rank: row.rank, admittedUntil: row.admitted_until },
      };
    },

    async ranks(eventId, tokenHashes) {
      const { rows } = await db.query<{ hash: string; rank: number }>(
        `SELECT encode(token_hash, 'hex') AS hash, rank::int AS rank
           FROM (SELECT token_hash, row_number() OVER (ORDER BY place, token_hash) AS rank
                   FROM queue_entries WHERE event_id = $1) r
          WHERE token_hash = ANY($2::bytea[])`,
        [eventId, tokenHashes],
      );
      return new Map(rows.map((r) => [r.hash, r.rank]));
    },

    async admittedUntil(eventId, tokenHash) {
      const { rows } = await db.query<{ admitted_until: Date | null }>(
        'SELECT admitted_until FROM queue_entries WHERE event_id = $1 AND token_hash = $2',
        [eventId, tokenHash],
      );
      return rows[0]?.admitted_until ?? null;
    },

    step: (eventId, now) =>
      db.transaction(async (tx) => {
        const lock = await tx.query<{ mine: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS mine', [
          ADMITTER_LOCK,
          lockKey(eventId),
        ]);
        const mine = lock.rows[0]?.mine === true;
        const { rows } = await tx.query<QueueRow>(
          `SELECT ${QUEUE_COLUMNS} FROM event_queues q WHERE q.event_id = $1 ${mine ? 'FOR UPDATE' : ''}`,
          [eventId],
        );
        const row = rows[0];
        if (!row) return null;
        if (!mine) return { snapshot: snapshotOf(row), waitedMs: [] };

        const settings = settingsOf(row);
        const plan = planAdmissions(
          settings,
          { opened: row.opened, admitted: row.admitted, nextAdmitMs: row.next_admit_ms },
          now,
        );
        let joinedAt: Date[] = [];
        if (plan.due > 0) {
          const until = new Date(now.getTime() + settings.admissionSeconds * 1000);
          const admitted = await tx.query<{ joined_at: Date }>(
            `WITH picked AS (
               SELECT token_hash FROM queue_entries
                WHERE event_id = $1 AND admitted_at IS NULL
                ORDER BY place, token_hash LIMIT $2 FOR UPDATE)
             UPDATE queue_entries e SET admitted_at = $3, admitted_until = $4
               FROM picked WHERE e.event_id = $1 AND e.token_hash = picked.token_hash
             RETURNING e.joined_at`,
            [eventId, plan.due, now, until],
          );
          joinedAt = admitted.rows.map((r) => r.joined_at);
        }
        const updated = await tx.query<QueueRow>(
          `UPDATE event_queues q
              SET opened = $2, admitted = admitted + $3, next_admit_ms = $4, updated_at = $5,
                  waiting = (SELECT count(*) FROM queue_entries w WHERE w.event_id = $1 AND w.admitted_at IS NULL)
            WHERE q.event_id = $1
        RETURNING ${QUEUE_COLUMNS}`,
          [eventId, plan.opened, joinedAt.length, plan.nextAfter(joinedAt.length), now],
        );
        return {
          snapshot: snapshotOf(updated.rows[0]!),
          waitedMs: joinedAt.map((j) => waitedMs(j, settings.opensAt, now)),
        };
      }),

    release: () => Promise.resolve(),
  };
}
