-- Venues: seats in sections and rows with a price category, and standing areas sold by count.
-- Every new column is nullable (or defaulted): events made before venues keep working unchanged.

-- Where a seat is: `section` is set for seats made from a venue only; a layout's seats have a row and
-- a number but no section; a plain seat list has neither. `rank`: lower is better (best available).
ALTER TABLE seats
  ADD COLUMN section    text,
  ADD COLUMN row_name   text,
  ADD COLUMN number     integer,
  ADD COLUMN category   text,
  ADD COLUMN accessible boolean NOT NULL DEFAULT false,
  ADD COLUMN rank       integer;

-- A venue's price categories, in the order given (the seat map's legend).
CREATE TABLE categories (
  event_id uuid NOT NULL REFERENCES events (id),
  position integer NOT NULL,
  key      text NOT NULL,
  label    text NOT NULL,
  price    integer NOT NULL CHECK (price >= 0),
  PRIMARY KEY (event_id, key)
);

-- Standing (general admission) areas. The price is the category's, copied like a seat's, so that a sale
-- never depends on a category row.
CREATE TABLE areas (
  id       uuid PRIMARY KEY,
  event_id uuid NOT NULL REFERENCES events (id),
  position integer NOT NULL,
  name     text NOT NULL,
  category text NOT NULL,
  price    integer NOT NULL CHECK (price >= 0),
  capacity integer NOT NULL CHECK (capacity > 0),
  UNIQUE (event_id, name),
  FOREIGN KEY (event_id, category) REFERENCES categories (event_id, key)
);
