-- A leaner lock, the same rules (003_hot_path.sql, 007_places.sql):
--   * the UPDATE finds its rows by primary key, from the ids the judging step already locked (and the
--     places picked), instead of searching the seats and the session's holds a second time;
--   * no index of holds by deadline alone: each held row written costs one index entry fewer. The
--     cleanup job's search for lapsed holds reads seats_held_by_event, which holds only held seats.
DROP INDEX seats_lock_until;

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
  WITH target AS (
    SELECT s.id, s.position, s.status, s.locked_by, s.lock_until, s.hold_began, s.area_id FROM seats s
     WHERE s.event_id = p_event AND (s.id = ANY (p_seats) OR s.locked_by = v_session)
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
    SELECT coalesce(array_agg(f.id), '{}') INTO v_picked FROM (
      SELECT s.id FROM seats s
       WHERE s.area_id = p_areas[i] AND s.event_id = p_event AND s.status <> 'confirmed'
         AND (s.lock_until IS NULL OR s.lock_until <= p_now) AND NOT s.id = ANY (v_after)
       ORDER BY s.id LIMIT p_counts[i] FOR UPDATE SKIP LOCKED) f;
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
