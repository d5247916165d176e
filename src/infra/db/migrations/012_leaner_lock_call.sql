-- The lock's call made leaner, the same rules (011_hot_holds.sql, 003_hot_path.sql), from a profile of
-- PostgreSQL under the on-sale load (docs/performance.md):
--   * the session is looked up by a statement of the lock's own instead of a call of live_session,
--     which spent as much on the call (a function scan, a second PL/pgSQL frame) as on the lookup;
--   * the answer is one row of a named type, returned as a value: a function declared RETURNS TABLE
--     builds its row's description from the catalog on every call and runs a query for each answer
--     (RETURN QUERY), where a named type's description comes from the type cache;
--   * the seats' ids sorted again only when standing places were added to them (the seats found are in
--     id order already), and the target's unused `position` column no longer read.
CREATE TYPE lock_outcome AS (outcome text, session_id uuid, seat_ids uuid[], deadline timestamptz,
                             held integer, sold_out uuid[]);

DROP FUNCTION lock_seats(bytea, uuid, uuid[], timestamptz, timestamptz, interval, integer, timestamptz,
                         timestamptz, uuid[], integer[]);

CREATE FUNCTION lock_seats(p_token bytea, p_event uuid, p_seats uuid[], p_now timestamptz,
                           p_until timestamptz, p_cap interval, p_max integer,
                           p_expires timestamptz, p_refresh_before timestamptz,
                           p_areas uuid[], p_counts integer[])
RETURNS lock_outcome
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
  v_expires timestamptz;
BEGIN
  -- The session, as live_session(…, true) finds it (003_hot_path.sql), written out here: one statement
  -- instead of a call of another function, which cost a lock as much again as the lookup itself.
  SELECT s.id, s.expires_at INTO v_session, v_expires FROM sessions s
   WHERE s.token_hash = p_token AND s.ended_at IS NULL AND s.expires_at > p_now FOR UPDATE;
  IF v_session IS NULL THEN
    RETURN ('no-session', NULL, NULL, NULL, NULL, NULL)::lock_outcome;
  END IF;
  IF v_expires < p_refresh_before THEN
    UPDATE sessions s SET expires_at = p_expires WHERE s.id = v_session AND s.expires_at < p_expires;
  END IF;

  -- The requested seats and the session's holds in the event (as session_holds names them), locked in
  -- id order, then judged on each row's newest version: a seat named there that another session took
  -- meanwhile is not counted as ours.
  WITH target AS (
    SELECT s.id, s.status, s.locked_by, s.lock_until, s.hold_began, s.area_id FROM seats s
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
    RETURN ('unknown', v_session,
      ARRAY(SELECT r FROM unnest(p_seats) r WHERE NOT EXISTS (
        SELECT 1 FROM seats s WHERE s.event_id = p_event AND s.id = r AND s.area_id IS NULL)),
      NULL, NULL, NULL)::lock_outcome;
  END IF;
  IF cardinality(v_taken) > 0 THEN
    RETURN ('unavailable', v_session, v_taken, NULL, NULL, '{}')::lock_outcome;
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
    RETURN ('unavailable', v_session, '{}', NULL, NULL, v_sold_out)::lock_outcome;
  END IF;
  IF cardinality(v_after) > p_max THEN
    RETURN ('too-many', v_session, NULL, NULL, cardinality(v_after), NULL)::lock_outcome;
  END IF;

  v_began := coalesce(v_began, p_now);
  v_until := least(p_until, v_began + p_cap);
  -- In id order already, unless places were added.
  IF cardinality(p_areas) > 0 THEN
    v_after := ARRAY(SELECT unnest(v_after) ORDER BY 1);
  END IF;
  UPDATE seats s
     SET status = CASE WHEN s.id = ANY (v_after) THEN 'locked' ELSE 'available' END,
         locked_by = CASE WHEN s.id = ANY (v_after) THEN v_session END,
         lock_until = CASE WHEN s.id = ANY (v_after) THEN v_until END,
         hold_began = CASE WHEN s.id = ANY (v_after) THEN v_began END
   WHERE s.id = ANY (v_rows || v_after);
  INSERT INTO session_holds AS h (session_id, event_id, seat_ids, until)
  VALUES (v_session, p_event, v_after, v_until)
  ON CONFLICT ON CONSTRAINT session_holds_pkey DO UPDATE SET seat_ids = excluded.seat_ids, until = excluded.until;
  RETURN ('ok', v_session, v_after, v_until, cardinality(v_after), NULL)::lock_outcome;
END;
$$;

ALTER FUNCTION lock_seats(bytea, uuid, uuid[], timestamptz, timestamptz, interval, integer, timestamptz,
                          timestamptz, uuid[], integer[])
  SET plan_cache_mode = force_generic_plan;
