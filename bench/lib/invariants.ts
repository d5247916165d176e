import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export interface InvariantReport {
  violations: number;
  soldSeats: number;
  paidOrders: number;
  paidSum: number;
  soldPriceSum: number;
  /** Sold in the database without a 201 seen by the client (a lost answer, not a double sale). */
  soldNotAcknowledged: number;
  /** Each failed check, with how many rows broke it. */
  failures: string[];
}

const CHECKS: { name: string; sql: string }[] = [
  {
    name: 'a seat in more than one reservation',
    sql: `SELECT count(*)::int AS n FROM (SELECT seat_id FROM reservation_seats GROUP BY seat_id HAVING count(*) > 1) x`,
  },
  {
    name: 'a sold seat with no reservation',
    sql: `SELECT count(*)::int AS n FROM seats s
           WHERE s.status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM reservation_seats rs WHERE rs.seat_id = s.id)`,
  },
  {
    name: 'a reserved seat not sold',
    sql: `SELECT count(*)::int AS n FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
           WHERE s.status <> 'confirmed'`,
  },
  {
    name: 'a reservation whose order is not paid or not the price of its seats',
    sql: `SELECT count(*)::int AS n FROM reservations r JOIN orders o ON o.id = r.order_id
           WHERE o.status <> 'paid' OR o.amount <> (SELECT coalesce(sum(s.price), 0) FROM reservation_seats rs
                                                      JOIN seats s ON s.id = rs.seat_id WHERE rs.reservation_id = r.id)`,
  },
  {
    name: 'a paid order with no reservation',
    sql: `SELECT count(*)::int AS n FROM orders o
           WHERE o.status = 'paid' AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.order_id = o.id)`,
  },
];

/**
 * The sale's invariants, read from the database after the service has stopped: each seat sold at most
 * once; sold seats = reserved seats; paid orders add up to the prices of the sold seats. The seats the
 * load generator was told it bought (201) must all be sold, and none twice.
 */
export async function checkInvariants(q: Query, acknowledged: readonly string[]): Promise<InvariantReport> {
  const failures: string[] = [];
  for (const c of CHECKS) {
    const n = Number((await q(c.sql))[0]?.n ?? 0);
    if (n > 0) failures.push(`${c.name}: ${n}`);
  }
  const [t] = await q(
    `SELECT (SELECT coalesce(sum(amount), 0) FROM orders WHERE status = 'paid')::text AS paid,
            (SELECT count(*) FROM orders WHERE status = 'paid')::int AS orders,
            (SELECT coalesce(sum(price), 0) FROM seats WHERE status = 'confirmed')::text AS sold,
            (SELECT count(*) FROM seats WHERE status = 'confirmed')::int AS seats`,
  );
  const paidSum = Number(t?.paid ?? 0);
  const soldPriceSum = Number(t?.sold ?? 0);
  if (paidSum !== soldPriceSum) failures.push(`paid orders ${paidSum} ≠ price of sold seats ${soldPriceSum}`);

  const twice = acknowledged.length - new Set(acknowledged).size;
  if (twice > 0) failures.push(`seats confirmed (201) to two buyers: ${twice}`);
  const sold = new Set(
    (await q(`SELECT id::text AS id FROM seats WHERE status = 'confirmed'`)).map((r) => String(r.id)),
  );
  const lost = acknowledged.filter((id) => !sold.has(id)).length;
  if (lost > 0) failures.push(`seats confirmed (201) but not sold in the database: ${lost}`);
  return {
    violations: failures.length,
    soldSeats: Number(t?.seats ?? 0),
    paidOrders: Number(t?.orders ?? 0),
    paidSum,
    soldPriceSum,
    soldNotAcknowledged: sold.size - [...new Set(acknowledged)].filter((id) => sold.has(id)).length,
    failures,
  };
}

export async function checkPostgres(url: string, acknowledged: readonly string[]) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await checkInvariants(async (sql, p) => (await c.query(sql, p)).rows, acknowledged);
  } finally {
    await c.end();
  }
}

export async function checkPglite(dataDir: string, acknowledged: readonly string[]) {
  const db = await PGlite.create({ dataDir });
  try {
    return await checkInvariants(
      async (sql, p) => (await db.query<Record<string, unknown>>(sql, p)).rows,
      acknowledged,
    );
  } finally {
    await db.close();
  }
}
