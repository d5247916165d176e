-- The on-sale waiting room (src/domain/queue.ts has the rules). Times are the service's clock.

-- Arrival numbers of sessions that join after the opening: one sequence for every queue (only the
-- order matters, and a sequence hands out numbers without locking anything).
CREATE SEQUENCE queue_arrivals;

-- One row per event with a queue: its settings and the admitter's state. Only the instance holding
-- the admitter lock (pg_try_advisory_xact_lock) changes `opened`, `admitted`, `waiting` and
-- `next_admit_ms`; every instance reads them once per step.
CREATE TABLE event_queues (
  event_id          uuid PRIMARY KEY REFERENCES events (id),
  opens_at          timestamptz NOT NULL,
  admit_per_minute  integer NOT NULL CHECK (admit_per_minute > 0),
  admission_seconds integer NOT NULL CHECK (admission_seconds > 0),
  opened            boolean NOT NULL DEFAULT false,
  admitted          integer NOT NULL DEFAULT 0,
  waiting           integer NOT NULL DEFAULT 0,
  -- Epoch milliseconds, fractional: one admission every 60 000 / rate ms must not drift by rounding.
  next_admit_ms     double precision,
  updated_at        timestamptz NOT NULL
);

-- One place per session (known by its token hash, as the lock path knows it) per event. No key to
-- sessions: purging old sessions must not take places out of a queue and shift everyone's rank.
CREATE TABLE queue_entries (
  event_id       uuid NOT NULL REFERENCES event_queues (event_id) ON DELETE CASCADE,
  token_hash     bytea NOT NULL,
  place          bigint NOT NULL,
  joined_at      timestamptz NOT NULL,
  admitted_at    timestamptz,
  admitted_until timestamptz,
  PRIMARY KEY (event_id, token_hash)
);
-- Ranks count the places up to one; the admitter takes the first waiting ones.
CREATE INDEX queue_entries_order ON queue_entries (event_id, place, token_hash);
CREATE INDEX queue_entries_waiting ON queue_entries (event_id, place, token_hash) WHERE admitted_at IS NULL;
