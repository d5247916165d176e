-- Picking free places (lock_seats, 007_places.sql) walks an area's place rows in id order. Sold places
-- never come back but for a refund, so with them in the index a lock near the sell-out of a large area
-- would step over thousands of sold rows; without them it steps over at most the places held now.
CREATE INDEX seats_area_unsold ON seats (area_id, id) WHERE area_id IS NOT NULL AND status <> 'confirmed';
DROP INDEX seats_area;
