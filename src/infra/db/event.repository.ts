import type { Area, Category, EventSummary, NewSeat } from '../../domain/types.js';
import type { EventRepository, EventSeatStats } from '../../services/ports.js';
import type { Db, Queryable } from './db.js';

// Seats per INSERT: each is one statement over arrays, which keeps a 100,000-seat venue to a few
// round trips while no single statement carries megabytes of parameters.
const SEAT_BATCH = 10_000;

/** One batch of seats; `offset` is the first seat's position in the event. */
async function insertSeats(
  tx: Queryable,
  eventId: string,
  seats: (NewSeat & { id: string })[],
  offset: number,
) {
  await tx.query(
    `INSERT INTO seats (id, event_id, position, name, price, section, row_name, number, category, accessible, rank)
     SELECT s.id, $1, $2 + s.position - 1, s.name, s.price, s.section, s.row_name, s.number, s.category,
            s.accessible, s.rank
       FROM unnest($3::uuid[], $4::text[], $5::int[], $6::text[], $7::text[], $8::int[], $9::text[],
                   $10::boolean[], $11::int[])
            WITH ORDINALITY AS s (id, name, price, section, row_name, number, category, accessible, rank, position)`,
    [
      eventId,
      offset,
      seats.map((s) => s.id),
      seats.map((s) => s.name),
      seats.map((s) => s.price),
      seats.map((s) => s.section ?? null),
      seats.map((s) => s.row ?? null),
      seats.map((s) => s.number ?? null),
      seats.map((s) => s.category ?? null),
      seats.map((s) => s.accessible ?? false),
      seats.map((s) => s.rank ?? null),
    ],
  );
}

// Below this many seats and places a scan of the event's rows costs little, and ANALYZE would cost more.
const ANALYZE_FROM_ROWS = 1000;

export function eventRepository(db: Db): EventRepository {
  return {
    async create({ id, name, currency, seats, categories = [], areas = [], now }) {
      await db.transaction(async (tx) => {
        await tx.query('INSERT INTO events (id, name, currency, created_at) VALUES ($1, $2, $3, $4)', [
          id,
          name,
          currency,
          now,
        ]);
        // A statement per batch of seats, not per seat: a 100,000-seat venue is 10 round trips.
        for (let from = 0; from < seats.length; from += SEAT_BATCH)
          await insertSeats(tx, id, seats.slice(from, from + SEAT_BATCH), from);
        if (categories.length > 0)
          await tx.query(
            `INSERT INTO categories (event_id, position, key, label, price)
             SELECT $1, c.position - 1, c.key, c.label, c.price
               FROM unnest($2::text[], $3::text[], $4::int[]) WITH ORDINALITY AS c (key, label, price, position)`,
            [
              id,
              categories.map((c) => c.key),
              categories.map((c) => c.label),
              categories.map((c) => c.price),
            ],
          );
        if (areas.length > 0)
          await tx.query(
            `INSERT INTO areas (id, event_id, position, name, category, price, capacity)
             SELECT a.id, $1, a.position - 1, a.name, a.category, a.price, a.capacity
               FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::int[])
                    WITH ORDINALITY AS a (id, name, category, price, capacity, position)`,
            [
              id,
              areas.map((a) => a.id),
              areas.map((a) => a.name),
              areas.map((a) => a.category),
              areas.map((a) => a.price),
              areas.map((a) => a.capacity),
            ],
          );
        // Each area's places, after the seats: rows held and sold as seats are, never listed as seats.
        if (areas.length > 0)
          await tx.query(
            `INSERT INTO seats (id, event_id, position, name, price, category, area_id)
             SELECT gen_random_uuid(), $1, $2 + row_number() OVER (ORDER BY a.position, n) - 1,
                    a.name || ' #' || n, a.price, a.category, a.id
               FROM areas a, generate_series(1, a.capacity) AS n
              WHERE a.event_id = $1`,
            [id, seats.length],
          );
      });
      // A large event: the planner learns its seats now rather than whenever autovacuum next looks, so
      // the very first locks of its on-sale use the indexes meant for them, not a scan of all its seats.
      const rows = seats.length + areas.reduce((n, a) => n + a.capacity, 0);
      if (rows >= ANALYZE_FROM_ROWS) await db.query('ANALYZE seats').catch(() => undefined);
    },
    async venue(id) {
      const [categories, areas] = await Promise.all([
        db.query<Category>('SELECT key, label, price FROM categories WHERE event_id = $1 ORDER BY position', [
          id,
        ]),
        db.query<Area>(
          'SELECT id, name, category, price, capacity FROM areas WHERE event_id = $1 ORDER BY position',
          [id],
        ),
      ]);
      return { categories: categories.rows, areas: areas.rows };
    },
    async get(id) {
      const { rows } = await db.query<{ id: string; name: string; currency: string }>(
        'SELECT id, name, currency FROM events WHERE id = $1',
        [id],
      );
      return rows[0] ?? null;
    },
    async list(now) {
      const { rows } = await db.query<EventSummary>(
        `SELECT e.id AS "eventID", e.name, e.currency,
                count(s.id)::int AS "seatCount",
                (count(s.id) FILTER (WHERE s.status = 'available' OR (s.status = 'locked' AND s.lock_until <= $1)))::int
                  AS "availableCount"
           FROM events e LEFT JOIN seats s ON s.event_id = e.id AND s.area_id IS NULL
          GROUP BY e.id
          ORDER BY e.created_at, e.id`,
        [now],
      );
      return rows;
    },
    async stats(now, limit) {
      const { rows } = await db.query<EventSeatStats>(
        `SELECT e.id AS "eventID",
                (count(*) FILTER (WHERE s.status = 'confirmed'))::int AS sold,
                (count(*) FILTER (WHERE s.status = 'locked' AND s.lock_until > $1))::int AS held
           FROM (SELECT id FROM events ORDER BY created_at DESC, id LIMIT $2) e
           JOIN seats s ON s.event_id = e.id
          GROUP BY e.id`,
        [now, limit],
      );
      return rows;
    },
    async count() {
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
      return rows[0]?.n ?? 0;
    },
  };
}
