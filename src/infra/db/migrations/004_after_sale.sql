-- After the sale: refunds put seats back on sale, webhooks leave through a transactional outbox, and
-- every sale and refund of a seat is kept in its history. (No function bodies here: the runner splits
-- statements on `;` at line ends.)

-- A paid order can be refunded, and its reservation cancelled.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
  CHECK (status IN ('pending', 'paid', 'failed', 'refunded'));
ALTER TABLE orders ADD COLUMN refund_id text;
ALTER TABLE orders ADD COLUMN refunded_at timestamptz;
ALTER TABLE reservations DROP CONSTRAINT reservations_status_check;
ALTER TABLE reservations ADD CONSTRAINT reservations_status_check CHECK (status IN ('confirmed', 'cancelled'));
ALTER TABLE reservations ADD COLUMN cancelled_at timestamptz;

-- The last guard against a double sale, relaxed from "one reservation per seat, ever" to "one ACTIVE
-- reservation per seat at a time": a refund releases the seat's row (kept, for the record) and a resale
-- adds a new one. The partial unique index still refuses a second live sale of any seat, whatever the
-- application code above it does.
ALTER TABLE reservation_seats DROP CONSTRAINT reservation_seats_pkey;
ALTER TABLE reservation_seats ADD COLUMN released_at timestamptz;
ALTER TABLE reservation_seats ADD PRIMARY KEY (reservation_id, seat_id);
CREATE UNIQUE INDEX reservation_seats_active ON reservation_seats (seat_id) WHERE released_at IS NULL;
DROP INDEX reservation_seats_reservation;

-- When the event was last seen sold out (cleared by a refund), so that event.sold_out is told once per
-- sell-out. The partial index finds an event's free seats without visiting its sold ones; a lock never
-- adds an entry to it (a locked seat is not 'available').
ALTER TABLE events ADD COLUMN sold_out_at timestamptz;
CREATE INDEX seats_available_by_event ON seats (event_id) WHERE status = 'available';

-- Every sale and refund of a seat, written in the transaction that made it.
CREATE TABLE seat_history (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id       uuid NOT NULL,
  seat_id        uuid NOT NULL REFERENCES seats (id),
  reservation_id uuid NOT NULL REFERENCES reservations (id),
  at             timestamptz NOT NULL,
  from_status    text NOT NULL,
  to_status      text NOT NULL,
  reason         text NOT NULL
);
CREATE INDEX seat_history_event ON seat_history (event_id, seat_id, id);

-- Webhook endpoints. The secret signs deliveries, so it is kept; it is shown once, at creation.
CREATE TABLE webhooks (
  id         uuid PRIMARY KEY,
  url        text NOT NULL,
  events     text[] NOT NULL,
  secret     text NOT NULL,
  created_at timestamptz NOT NULL,
  deleted_at timestamptz
);

-- The outbox: one message per thing that happened, written in the same transaction as the change, and
-- one delivery per subscribed webhook. `body` is the exact JSON that is signed and sent.
CREATE TABLE webhook_messages (
  id         uuid PRIMARY KEY,
  type       text NOT NULL,
  body       text NOT NULL,
  created_at timestamptz NOT NULL
);

-- No foreign key to webhooks: every sale would share-lock the webhook's row (a MultiXact per
-- concurrent sale); a webhook is never deleted, only marked so.
-- `claim`/`claimed_until`: the lease of the worker sending it; a crashed worker's lease runs out and
-- another worker takes the delivery over.
CREATE TABLE webhook_deliveries (
  message_id      uuid NOT NULL REFERENCES webhook_messages (id),
  webhook_id      uuid NOT NULL,
  status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  claim           uuid,
  claimed_until   timestamptz,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (message_id, webhook_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id) WHERE status = 'pending';

-- The delivery log: one row per attempt.
CREATE TABLE webhook_attempts (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id  uuid NOT NULL,
  message_id  uuid NOT NULL,
  attempt     integer NOT NULL,
  status_code integer,
  error       text,
  result      text NOT NULL CHECK (result IN ('delivered', 'retrying', 'failed')),
  duration_ms integer NOT NULL,
  at          timestamptz NOT NULL
);
CREATE INDEX webhook_attempts_webhook ON webhook_attempts (webhook_id, id);
CREATE INDEX webhook_attempts_at ON webhook_attempts (at);

-- Events that sold out before this migration are not news to webhooks registered after it.
UPDATE events e SET sold_out_at = now()
 WHERE NOT EXISTS (SELECT 1 FROM seats s WHERE s.event_id = e.id AND s.status <> 'confirmed');
