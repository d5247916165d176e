-- Holds written as HOT updates.
--
-- A hold (a lock, a release, an expiry) changes a seat's status, locked_by, lock_until and hold_began,
-- nothing else. When none of those columns is in an index or in an index's condition, PostgreSQL writes
-- the seat's new version in the same page with no new index entry (a heap-only tuple, "HOT"), and prunes
-- the old one as it goes, without a vacuum. Before this, every seat a lock or release wrote took an
-- entry in five indexes, half of a lock's WAL.
--
-- So the indexes on seats are now on what a hold never changes: the seat itself, its event and place,
-- and whether it is sold (`sold`, computed from status: a hold leaves it false). What the indexes on the
-- hold's columns answered is asked of session_holds instead: which seats a session holds in an event,
-- and until when.
-- A fifth of each page left free for the new versions (set first: adding `sold` rewrites the table, and
-- the rewrite leaves that room in every page).
ALTER TABLE seats SET (fillfactor = 80);
ALTER TABLE seats ADD COLUMN sold boolean GENERATED ALWAYS AS (status = 'confirmed') STORED;

DROP INDEX seats_locked_by;
DROP INDEX seats_held_by_event;
DROP INDEX seats_available_by_event;
DROP INDEX seats_sold_by_event;
DROP INDEX seats_area_unsold;
CREATE INDEX seats_sold_by_event ON seats (event_id) WHERE sold;
CREATE INDEX seats_unsold_by_event ON seats (event_id) WHERE NOT sold;
CREATE INDEX seats_area_unsold ON seats (area_id, id) WHERE area_id IS NOT NULL AND NOT sold;

-- The seats a session holds in an event, all with one deadline (`until`): a lock writes the whole set,
-- a release takes seats out. It may name more than the session holds (a seat sold, or taken after its
-- hold lapsed: each reader checks the seat's own row, which stays the truth), never fewer: every seat
-- with locked_by = session_id and a live lock_until is in its session's row for its event. Only the
-- session's own lock and release write a row while the session is live (each holding the session's
-- row lock first), the cleanup job once the row's holds have all lapsed or the session ended.
CREATE TABLE session_holds (
  session_id uuid NOT NULL,
  event_id   uuid NOT NULL,
  seat_ids   uuid[] NOT NULL,
  until      timestamptz NOT NULL,
  PRIMARY KEY (session_id, event_id)
) WITH (fillfactor = 80);
CREATE INDEX session_holds_event ON session_holds (event_id);

INSERT INTO session_holds (session_id, event_id, seat_ids, until)
SELECT locked_by, event_id, array_agg(id ORDER BY id), max(lock_until)
  FROM seats WHERE status = 'locked' GROUP BY locked_by, event_id;

CREATE OR REPLACE FUNCTION lock_seats(p_token bytea, p_event uuid, p_seats uuid[], p_now timestamptz,
                           p_until timestamptz, p_cap interval, p_max integer,
                           p_expires timestamptz, p_refresh_before timestamptz,
                           p_areas uuid[], p_counts integer[])
RETURNS TABLE (outcome text, session_id uuid, seat_ids uuid[], deadline timestamptz, held integer,
               sold_out uuid[])
LANGUAGE plpgsql AS $$
DECLARE
  v_session uuid;
  v_found integer;
  v_taken uuid[];
  v_after uuid[];
  v_began timestamptz;
  v_until timestamptz;
  v_picked uuid[];
  v_sold_out uuid[] := '{}';
  v_rows uuid[];
BEGIN
  SELECT ls.id INTO v_session FROM live_session(p_token, p_now, p_expires, p_refresh_before, true) ls;
  IF v_session IS NULL THEN
    RETURN QUERY SELECT 'no-session', NULL::uuid, NULL::uuid[], NULL::timestamptz, NULL::integer,
                        NULL::uuid[];
    RETURN;
  END IF;

  -- The requested seats and the session's holds in the event (as session_holds names them), locked in
  -- id order, then judged on each row's newest version: a seat named there that another session took
  -- meanwhile is not counted as ours.
  WITH target AS (
    SELECT s.id, s.position, s.status, s.locked_by, s.lock_until, s.hold_began, s.area_id FROM seats s
     WHERE s.id = ANY (p_seats || coalesce((SELECT h.seat_ids FROM session_holds h
                                             WHERE h.session_id = v_session AND h.event_id = p_event), '{}'))
       AND s.event_id = p_event AND (s.id = ANY (p_seats) OR s.locked_by = v_session)
     ORDER BY s.id FOR UPDATE)
  SELECT count(*) FILTER (WHERE t.id = ANY (p_seats) AND t.area_id IS NULL),
         coalesce(array_agg(t.id) FILTER (WHERE t.id = ANY (p_seats) AND (t.status = 'confirmed'
                    OR (t.lock_until > p_now AND t.locked_by <> v_session))), '{}'),
         coalesce(array_agg(t.id ORDER BY t.id) FILTER (WHERE t.id = ANY (p_seats)
                    OR (t.locked_by = v_session AND t.lock_until > p_now)), '{}'),
         min(t.hold_began) FILTER (WHERE t.locked_by = v_session AND t.lock_until > p_now),
         array_agg(t.id)
    INTO v_found, v_taken, v_after, v_began, v_rows
    FROM target t;

  IF v_found < cardinality(p_seats) THEN
    RETURN QUERY SELECT 'unknown', v_session,
      ARRAY(SELECT r FROM unnest(p_seats) r WHERE NOT EXISTS (
        SELECT 1 FROM seats s WHERE s.event_id = p_event AND s.id = r AND s.area_id IS NULL)),
      NULL::timestamptz, NULL::integer, NULL::uuid[];
    RETURN;
  END IF;
  IF cardinality(v_taken) > 0 THEN
    RETURN QUERY SELECT 'unavailable', v_session, v_taken, NULL::timestamptz, NULL::integer,
                        '{}'::uuid[];
    RETURN;
  END IF;

  FOR i IN 1 .. coalesce(cardinality(p_areas), 0) LOOP
    -- Planned for each area (EXECUTE): a plan made once for any area may sort a whole area's places.
    EXECUTE 'SELECT coalesce(array_agg(f.id), ''{}'') FROM (
      SELECT s.id FROM seats s
       WHERE s.area_id = $1 AND s.event_id = $2 AND NOT s.sold
         AND (s.lock_until IS NULL OR s.lock_until <= $3) AND NOT s.id = ANY ($4)
       ORDER BY s.id LIMIT $5 FOR UPDATE SKIP LOCKED) f'
      INTO v_picked USING p_areas[i], p_event, p_now, v_after, p_counts[i];
    IF cardinality(v_picked) < p_counts[i] THEN
      v_sold_out := v_sold_out || p_areas[i];
    ELSE
      v_after := v_after || v_picked;
    END IF;
  END LOOP;
  IF cardinality(v_sold_out) > 0 THEN
    RETURN QUERY SELECT 'unavailable', v_session, '{}'::uuid[], NULL::timestamptz, NULL::integer,
                        v_sold_out;
    RETURN;
  END IF;
  IF cardinality(v_after) > p_max THEN
    RETURN QUERY SELECT 'too-many', v_session, NULL::uuid[], NULL::timestamptz, cardinality(v_after),
                        NULL::uuid[];
    RETURN;
  END IF;

  v_began := coalesce(v_began, p_now);
  v_until := least(p_until, v_began + p_cap);
  v_after := ARRAY(SELECT unnest(v_after) ORDER BY 1);
  UPDATE seats s
     SET status = CASE WHEN s.id = ANY (v_after) THEN 'locked' ELSE 'available' END,
         locked_by = CASE WHEN s.id = ANY (v_after) THEN v_session END,
         lock_until = CASE WHEN s.id = ANY (v_after) THEN v_until END,
         hold_began = CASE WHEN s.id = ANY (v_after) THEN v_began END
   WHERE s.id = ANY (v_rows || v_after);
  INSERT INTO session_holds AS h (session_id, event_id, seat_ids, until)
  VALUES (v_session, p_event, v_after, v_until)
  ON CONFLICT ON CONSTRAINT session_holds_pkey DO UPDATE SET seat_ids = excluded.seat_ids, until = excluded.until;
  RETURN QUERY SELECT 'ok', v_session, v_after, v_until, cardinality(v_after), NULL::uuid[];
END;
$$;


-- A cancel: the session's holds (in one event, or all; the seats named, or all), found through
-- session_holds, released; the seats let go leave the session's rows, and a row left with none goes.
CREATE OR REPLACE FUNCTION release_seats(p_token bytea, p_event uuid, p_seats uuid[], p_now timestamptz,
                              p_expires timestamptz, p_refresh_before timestamptz)
RETURNS TABLE (outcome text, session_id uuid, seat_ids uuid[])
LANGUAGE plpgsql AS $$
DECLARE
  v_session uuid;
  v_released uuid[];
BEGIN
  SELECT ls.id INTO v_session FROM live_session(p_token, p_now, p_expires, p_refresh_before, true) ls;
  IF v_session IS NULL THEN
    RETURN QUERY SELECT 'no-session', NULL::uuid, NULL::uuid[];
    RETURN;
  END IF;
  WITH target AS (
    SELECT s.id, s.lock_until > p_now AS live FROM seats s
     WHERE s.id = ANY (ARRAY(SELECT unnest(h.seat_ids) FROM session_holds h
                              WHERE h.session_id = v_session AND (p_event IS NULL OR h.event_id = p_event)))
       AND s.locked_by = v_session AND (p_seats IS NULL OR s.id = ANY (p_seats))
     ORDER BY s.id FOR UPDATE),
  freed AS (
    UPDATE seats s SET status = 'available', locked_by = NULL, lock_until = NULL, hold_began = NULL
      FROM target WHERE s.id = target.id
    RETURNING s.id, target.live)
  SELECT coalesce(array_agg(f.id) FILTER (WHERE f.live), '{}') INTO v_released FROM freed f;

  DELETE FROM session_holds h
   WHERE h.session_id = v_session AND (p_event IS NULL OR h.event_id = p_event)
     AND (p_seats IS NULL OR h.seat_ids <@ p_seats);
  UPDATE session_holds h SET seat_ids = ARRAY(SELECT x FROM unnest(h.seat_ids) x WHERE NOT x = ANY (p_seats))
   WHERE p_seats IS NOT NULL AND h.session_id = v_session AND (p_event IS NULL OR h.event_id = p_event)
     AND h.seat_ids && p_seats;
  RETURN QUERY SELECT 'ok', v_session, v_released;
END;
$$;

ALTER FUNCTION lock_seats(bytea, uuid, uuid[], timestamptz, timestamptz, interval, integer, timestamptz,
                          timestamptz, uuid[], integer[])
  SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION release_seats(bytea, uuid, uuid[], timestamptz, timestamptz, timestamptz)
  SET plan_cache_mode = force_generic_plan;
