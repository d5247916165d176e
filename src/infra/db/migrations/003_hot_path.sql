-- The on-sale hot path: a lock or a release is one call of one function, so one round trip to the
-- database, session check included. The rules they apply are the domain's (src/domain/seat-rules.ts):
--   * the caller's session must be live (not ended, not expired); its stored expiry is moved forward only
--     once it lags behind by more than the allowed slack, so most requests write nothing for the session;
--   * a lock is all or nothing: a requested seat that is sold, or held in time by another session, fails it;
--   * on success every seat the session holds in the event gets one new deadline, and its lapsed holds
--     there are let go (so "all the session holds" never mixes live and lapsed seats);
--   * a hold begins when the session locks while holding nothing live in the event, and no refresh moves
--     the deadline past that beginning + the hold cap;
--   * rows are locked in one fixed order (by id), so two requests crossing the same seats queue up
--     instead of deadlocking; the session row is locked first and serializes one session's locks with
--     its logout, so a lock racing a logout never leaves a hold behind.
-- The table constraints (seats' CHECK, reservation_seats' key) stay the last guard under all of this.

-- When the session's current hold in the event began (for the hold cap); set on locked seats only.
ALTER TABLE seats ADD COLUMN hold_began timestamptz;

-- The live session for a presented token, its expiry moved to p_expires when it is due (older than
-- p_refresh_before). Locked FOR UPDATE when p_lock: the per-session mutex of locks and logout.
CREATE FUNCTION live_session(p_token bytea, p_now timestamptz, p_expires timestamptz,
                             p_refresh_before timestamptz, p_lock boolean)
RETURNS TABLE (id uuid, expires_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid;
  v_expires timestamptz;
BEGIN
  IF p_lock THEN
    SELECT s.id, s.expires_at INTO v_id, v_expires FROM sessions s
     WHERE s.token_hash = p_token AND s.ended_at IS NULL AND s.expires_at > p_now FOR UPDATE;
  ELSE
    SELECT s.id, s.expires_at INTO v_id, v_expires FROM sessions s
     WHERE s.token_hash = p_token AND s.ended_at IS NULL AND s.expires_at > p_now;
  END IF;
  IF v_id IS NULL THEN
    RETURN;
  END IF;
  IF v_expires < p_refresh_before THEN
    UPDATE sessions s SET expires_at = p_expires WHERE s.id = v_id AND s.expires_at < p_expires;
    v_expires := p_expires;
  END IF;
  RETURN QUERY SELECT v_id, v_expires;
END;
$$;

-- outcome: 'ok' (seat_ids: all the session now holds, deadline: their one lock_until), 'no-session',
-- 'unknown' (seat_ids: requested seats not in the event), 'unavailable' (seat_ids: requested seats
-- taken), 'too-many' (held: how many the session would hold).
CREATE FUNCTION lock_seats(p_token bytea, p_event uuid, p_seats uuid[], p_now timestamptz,
                           p_until timestamptz, p_cap interval, p_max integer,
                           p_expires timestamptz, p_refresh_before timestamptz)
RETURNS TABLE (outcome text, session_id uuid, seat_ids uuid[], deadline timestamptz, held integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_session uuid;
  v_found integer;
  v_taken uuid[];
  v_after uuid[];
  v_began timestamptz;
  v_until timestamptz;
BEGIN
  SELECT ls.id INTO v_session FROM live_session(p_token, p_now, p_expires, p_refresh_before, true) ls;
  IF v_session IS NULL THEN
    RETURN QUERY SELECT 'no-session', NULL::uuid, NULL::uuid[], NULL::timestamptz, NULL::integer;
    RETURN;
  END IF;

  -- The requested seats and the session's holds in the event, locked in id order, then judged.
  WITH target AS (
    SELECT s.id, s.position, s.status, s.locked_by, s.lock_until, s.hold_began FROM seats s
     WHERE s.event_id = p_event AND (s.id = ANY (p_seats) OR s.locked_by = v_session)
     ORDER BY s.id FOR UPDATE)
  SELECT count(*) FILTER (WHERE t.id = ANY (p_seats)),
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
        SELECT 1 FROM seats s WHERE s.event_id = p_event AND s.id = r)),
      NULL::timestamptz, NULL::integer;
    RETURN;
  END IF;
  IF cardinality(v_taken) > 0 THEN
    RETURN QUERY SELECT 'unavailable', v_session, v_taken, NULL::timestamptz, NULL::integer;
    RETURN;
  END IF;
  IF cardinality(v_after) > p_max THEN
    RETURN QUERY SELECT 'too-many', v_session, NULL::uuid[], NULL::timestamptz, cardinality(v_after);
    RETURN;
  END IF;

  v_began := coalesce(v_began, p_now);
  v_until := least(p_until, v_began + p_cap);
  UPDATE seats s
     SET status = CASE WHEN s.id = ANY (v_after) THEN 'locked' ELSE 'available' END,
         locked_by = CASE WHEN s.id = ANY (v_after) THEN v_session END,
         lock_until = CASE WHEN s.id = ANY (v_after) THEN v_until END,
         hold_began = CASE WHEN s.id = ANY (v_after) THEN v_began END
   WHERE s.event_id = p_event AND (s.id = ANY (p_seats) OR s.locked_by = v_session);
  RETURN QUERY SELECT 'ok', v_session, v_after, v_until, cardinality(v_after);
END;
$$;

-- Releases the caller's holds: the listed seats (NULL: all), in one event (NULL: every event).
-- outcome 'ok' with the seats whose hold was still live (the ones the seat map shows changing), or
-- 'no-session'.
CREATE FUNCTION release_seats(p_token bytea, p_event uuid, p_seats uuid[], p_now timestamptz,
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
     WHERE s.locked_by = v_session
       AND (p_event IS NULL OR s.event_id = p_event) AND (p_seats IS NULL OR s.id = ANY (p_seats))
     ORDER BY s.id FOR UPDATE),
  freed AS (
    UPDATE seats s SET status = 'available', locked_by = NULL, lock_until = NULL, hold_began = NULL
      FROM target WHERE s.id = target.id
    RETURNING s.id, target.live)
  SELECT coalesce(array_agg(f.id) FILTER (WHERE f.live), '{}') INTO v_released FROM freed f;
  RETURN QUERY SELECT 'ok', v_session, v_released;
END;
$$;

-- The Redis hold store's sweep visits sessions that ended or expired lately (see sessionDirectory).
CREATE INDEX sessions_ended_at ON sessions (ended_at) WHERE ended_at IS NOT NULL;
