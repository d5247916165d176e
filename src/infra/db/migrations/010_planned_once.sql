-- The lock and the release, planned once per connection instead of once per call (same rules as
-- 009_leaner_lock.sql and 003_hot_path.sql).
--
-- PL/pgSQL keeps a plan per statement, but for a statement with parameters PostgreSQL plans afresh for
-- each call (a "custom plan") as long as that looks cheaper than one plan for all values. For the lock's
-- two statements on seats it always did: planning them (eight indexes to weigh) cost about as much as
-- running them. `plan_cache_mode = force_generic_plan` makes one plan serve; the statements are written
-- so that this plan is the right one for any values (primary key lookups, the session's holds through
-- seats_locked_by). Standing places are still planned per area.
--
-- seats.is_taken (a stored column computed on every write of a seat) was never read: dropped.
ALTER TABLE seats DROP COLUMN is_taken;

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

  -- The requested seats and the session's holds in the event, locked in id order, then judged.
  -- Found by primary key (the ids asked for and the session's holds, read first through its index),
  -- which one plan serves for every call; the last condition is checked again on each row's newest
  -- version once it is locked, so a hold another session took meanwhile is not counted as ours.
  WITH target AS (
    SELECT s.id, s.position, s.status, s.locked_by, s.lock_until, s.hold_began, s.area_id FROM seats s
     WHERE s.id = ANY (p_seats || ARRAY(SELECT h.id FROM seats h
                                          WHERE h.locked_by = v_session AND h.event_id = p_event))
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
       WHERE s.area_id = $1 AND s.event_id = $2 AND s.status <> ''confirmed''
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
  UPDATE seats s
     SET status = CASE WHEN s.id = ANY (v_after) THEN 'locked' ELSE 'available' END,
         locked_by = CASE WHEN s.id = ANY (v_after) THEN v_session END,
         lock_until = CASE WHEN s.id = ANY (v_after) THEN v_until END,
         hold_began = CASE WHEN s.id = ANY (v_after) THEN v_began END
   WHERE s.id = ANY (v_rows || v_after);
  RETURN QUERY SELECT 'ok', v_session, ARRAY(SELECT unnest(v_after) ORDER BY 1), v_until,
                      cardinality(v_after), NULL::uuid[];
END;
$$;

ALTER FUNCTION lock_seats(bytea, uuid, uuid[], timestamptz, timestamptz, interval, integer, timestamptz,
                          timestamptz, uuid[], integer[])
  SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION release_seats(bytea, uuid, uuid[], timestamptz, timestamptz, timestamptz)
  SET plan_cache_mode = force_generic_plan;
