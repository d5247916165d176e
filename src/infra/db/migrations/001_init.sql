-- Times are written by the service from its clock, never by now(): expiry must be testable without sleeping.

CREATE TABLE customers (
  id         uuid PRIMARY KEY,
  name       text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE events (
  id         uuid PRIMARY KEY,
  name       text NOT NULL,
  currency   char(3) NOT NULL,
  created_at timestamptz NOT NULL
);

-- The client's session ID is never stored: only its SHA-256, so a database dump opens no sessions.
CREATE TABLE sessions (
  id         uuid PRIMARY KEY,
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  ended_at   timestamptz
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE seats (
  id         uuid PRIMARY KEY,
  event_id   uuid NOT NULL REFERENCES events (id),
  position   integer NOT NULL,
  name       text NOT NULL,
  price      integer NOT NULL CHECK (price >= 0),
  status     text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'locked', 'confirmed')),
  is_taken   boolean GENERATED ALWAYS AS (status = 'confirmed') STORED,
  locked_by  uuid,
  lock_until timestamptz,
  CHECK ((status = 'locked') = (locked_by IS NOT NULL AND lock_until IS NOT NULL)),
  UNIQUE (event_id, position),
  UNIQUE (event_id, name)
);
CREATE INDEX seats_locked_by ON seats (locked_by) WHERE locked_by IS NOT NULL;
CREATE INDEX seats_lock_until ON seats (lock_until) WHERE status = 'locked';

CREATE TABLE orders (
  id             uuid PRIMARY KEY,
  customer_id    uuid NOT NULL REFERENCES customers (id),
  event_id       uuid NOT NULL REFERENCES events (id),
  session_id     uuid NOT NULL,
  amount         integer NOT NULL CHECK (amount >= 0),
  currency       char(3) NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
  charge_id      text,
  failure_reason text,
  voided_at      timestamptz,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, created_at);
CREATE INDEX orders_pending ON orders (created_at) WHERE status = 'pending';

CREATE TABLE reservations (
  id          uuid PRIMARY KEY,
  event_id    uuid NOT NULL REFERENCES events (id),
  customer_id uuid NOT NULL REFERENCES customers (id),
  order_id    uuid NOT NULL UNIQUE REFERENCES orders (id),
  status      text NOT NULL DEFAULT 'confirmed' CHECK (status = 'confirmed'),
  created_at  timestamptz NOT NULL
);
CREATE INDEX reservations_event ON reservations (event_id, created_at);

-- The last guard against a double sale: a seat can belong to one reservation, ever,
-- whatever the application code above it does.
CREATE TABLE reservation_seats (
  seat_id        uuid PRIMARY KEY REFERENCES seats (id),
  reservation_id uuid NOT NULL REFERENCES reservations (id)
);
CREATE INDEX reservation_seats_reservation ON reservation_seats (reservation_id);

CREATE TABLE idempotency_keys (
  session_id   uuid NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  status_code  integer,
  response     jsonb,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (session_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
