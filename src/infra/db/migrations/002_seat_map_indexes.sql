-- The seat map reads an event's sold seats and live holds on every request: small partial indexes
-- find them without visiting the event's other (available) seats.
CREATE INDEX seats_sold_by_event ON seats (event_id) WHERE status = 'confirmed';
CREATE INDEX seats_held_by_event ON seats (event_id, lock_until) WHERE status = 'locked';
