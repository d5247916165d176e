-- Standing places: an area of capacity N is N place rows in `seats` (area_id set), so that a place is
-- held, sold, released, expired, refunded and guarded exactly as a seat is: the seats' CHECK and the
-- unique reservation seat keep an area from ever selling more than its capacity. Clients never name a
-- place: they ask for a quantity per area, and the lock picks free places itself.
ALTER TABLE seats ADD COLUMN area_id uuid REFERENCES areas (id);
CREATE INDEX seats_area ON seats (area_id, id) WHERE area_id IS NOT NULL;

-- Named seats may not be place rows: the lock path checks IDs against the event's seats, not places.
DROP FUNCTION lock_seats(bytea, uuid, uuid[], timestamptz, timestamptz, interval, integer, timestamptz,
                         timestamptz);

-- As 003_hot_path.sql's lock_seats, plus places: p_areas[i] wants p_counts[i] more places. Free places
-- are picked after the seats are locked, FOR UPDATE SKIP LOCKED: a picking transaction never waits, so
-- the id order of the waits still rules out deadlocks, and buyers racing for one area take different
-- places instead of queueing on the same one. An area with too few free places fails the whole lock
-- ('unavailable' with sold_out: those areas).
CREATE FUNCTION lock_seats(p_token bytea, p_event uuid, p_seats uuid[], p_now timestamptz,
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
         min(t.hold_began) FILTER (WHERE t.locked_by = v_session AND t.lock_until > p_now)
    INTO v_found, v_taken, v_after, v_began
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
   WHERE s.event_id = p_event AND (s.id = ANY (v_after) OR s.locked_by = v_session);
  RETURN QUERY SELECT 'ok', v_session, ARRAY(SELECT unnest(v_after) ORDER BY 1), v_until,
                      cardinality(v_after), NULL::uuid[];
END;
$$;
