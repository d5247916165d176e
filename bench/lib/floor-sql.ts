/**
 * The PostgreSQL floor's tables and its one lock statement: the least a correct lock needs. Shared by
 * the pg floor route (bench/floor-pg.ts) and pgbench (bench/lib/pgbench.ts), which runs the very same
 * statement as the database's own ceiling.
 *
 * A seat is sold (`status`) or not; a hold is `locked_by` + `lock_until`, live while `lock_until` is ahead.
 */
/**
 * How the floor's connections talk to PostgreSQL: one plan for the lock statement, made once per
 * connection. By default PostgreSQL plans a statement with parameters afresh on every call while that
 * looks cheaper, and for this one it always does, which costs more than running it (measured: about
 * 2,400 against 4,000 pgbench tps). The service's lock functions are planned once too.
 */
export const FLOOR_PG_OPTIONS = '-c plan_cache_mode=force_generic_plan';

export const FLOOR_SCHEMA = `
CREATE TABLE sessions (token uuid PRIMARY KEY, expires_at timestamptz NOT NULL);
CREATE TABLE seats (
  id uuid PRIMARY KEY,
  event_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'sold')),
  locked_by uuid,
  lock_until timestamptz
);
-- The event's seats, in id order (its seat map); and a lock's seats found by event and id in one index
-- probe each. With the event alone indexed, a plan made once for any event and any seats may AND the
-- whole event's entries with the ids asked for: 1,000 index entries read per lock on 1,000-seat events.
CREATE INDEX seats_event ON seats (event_id, id);
`;

/**
 * One lock in one statement, as SQL text with each input given as an SQL expression (`$1`, or a pgbench
 * expression): the session must be live; the requested seats of the event are locked in id order
 * (so crossing requests queue instead of deadlocking) and judged from those locked rows themselves —
 * under READ COMMITTED, FOR UPDATE returns each row's newest committed version, where a second scan
 * would still read the statement's older snapshot; all or nothing: any seat missing, sold or held in
 * time by another session refuses the lock, else every seat gets the caller and the new deadline.
 * Answers one row: `live` (the session), `ok` (the verdict) and `lock_until` (set when ok).
 */
export function lockStatement(p: { token: string; event: string; seats: string; ttlSeconds: number }) {
  const ttl = Math.round(p.ttlSeconds);
  return `WITH session AS (
  SELECT 1 FROM sessions WHERE token = ${p.token} AND expires_at > now()
), target AS (
  SELECT s.id, s.status, s.locked_by, s.lock_until FROM seats s
   WHERE s.event_id = ${p.event} AND s.id = ANY (${p.seats}) AND EXISTS (SELECT 1 FROM session)
   ORDER BY s.id FOR UPDATE
), verdict AS (
  SELECT count(*) = cardinality(${p.seats})
         AND coalesce(bool_and(t.status = 'available'
               AND (t.locked_by IS NULL OR t.locked_by = ${p.token} OR t.lock_until <= now())), false) AS ok
    FROM target t
), locked AS (
  UPDATE seats s SET locked_by = ${p.token}, lock_until = now() + interval '${ttl} seconds'
    FROM target t, verdict v
   WHERE v.ok AND s.id = t.id
  RETURNING s.lock_until
)
SELECT EXISTS (SELECT 1 FROM session) AS live, (SELECT ok FROM verdict) AS ok,
       (SELECT max(lock_until) FROM locked) AS lock_until`;
}

/**
 * FLOOR_RULES=1 (see FloorConfig.rules): what the rules need of the table. A hold remembers when it
 * began, and a session's holds are found through an index on their holder: the least SQL for it, though
 * it makes each hold written a non-HOT update (the holder's column is indexed), which the service avoids
 * with a row per session and event naming its holds (011_hot_holds.sql).
 */
export const FLOOR_RULES_SCHEMA = `
ALTER TABLE seats ADD COLUMN hold_began timestamptz;
CREATE INDEX seats_locked_by ON seats (locked_by) WHERE locked_by IS NOT NULL;
`;

/**
 * The lock with the contract's rules for every lock, in one statement: as lockStatement, and the
 * session's live holds in the event are locked and judged with the seats asked for (in id order); the
 * lock is refused when the session would then hold more than `maxSeats`; all its seats get one deadline,
 * now + TTL capped at the hold's beginning (its oldest live seat's, or now) + `maxHoldSeconds`. Answers
 * `live`, `ok`, `held_count` (how many it would hold) and, when it holds them, `lock_until` and `held`.
 */
export function rulesLockStatement(p: {
  token: string;
  event: string;
  seats: string;
  ttlSeconds: number;
  maxSeats: number;
  maxHoldSeconds: number;
}) {
  const ttl = Math.round(p.ttlSeconds);
  return `WITH session AS (
  SELECT 1 FROM sessions WHERE token = ${p.token} AND expires_at > now()
), target AS (
  SELECT s.id, s.status, s.locked_by, s.lock_until, s.hold_began, s.id = ANY (${p.seats}) AS asked,
         coalesce(s.locked_by = ${p.token} AND s.lock_until > now(), false) AS mine FROM seats s
   WHERE s.event_id = ${p.event} AND (s.id = ANY (${p.seats}) OR s.locked_by = ${p.token})
     AND EXISTS (SELECT 1 FROM session)
   ORDER BY s.id FOR UPDATE
), verdict AS (
  SELECT count(*) FILTER (WHERE t.asked) = cardinality(${p.seats})
         AND coalesce(bool_and(t.status = 'available'
               AND (t.locked_by IS NULL OR t.locked_by = ${p.token} OR t.lock_until <= now()))
               FILTER (WHERE t.asked), false) AS ok,
         count(*) FILTER (WHERE t.asked OR t.mine) AS held_count,
         coalesce(min(t.hold_began) FILTER (WHERE t.mine), now()) AS began
    FROM target t
), locked AS (
  UPDATE seats s SET locked_by = ${p.token}, hold_began = v.began,
         lock_until = least(now() + interval '${ttl} seconds', v.began + interval '${Math.round(p.maxHoldSeconds)} seconds')
    FROM target t, verdict v
   WHERE v.ok AND v.held_count <= ${Math.round(p.maxSeats)} AND s.id = t.id
     AND (t.asked OR t.mine)
  RETURNING s.id, s.lock_until
)
SELECT EXISTS (SELECT 1 FROM session) AS live, (SELECT ok FROM verdict) AS ok,
       (SELECT held_count FROM verdict)::int AS held_count, (SELECT max(lock_until) FROM locked) AS lock_until,
       (SELECT array_agg(id ORDER BY id) FROM locked) AS held`;
}
