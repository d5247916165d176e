/**
 * The PostgreSQL floor: Fastify + a `pg` Pool and a minimal correct lock, ONE SQL statement per
 * POST /api/lock (session check + all-or-nothing hold, bench/lib/floor-sql.ts), on its own minimal
 * tables in the scratch database DATABASE_URL, which the bench makes and drops. What the service's
 * PostgreSQL lock is compared with: see bench/README.md. With FLOOR_RULES=1 the statement also applies
 * the contract's rules for every lock (rulesLockStatement).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { floorConfig, requiredEnv, seatStatus, serveFloor, type FloorStore } from './lib/floor-common.js';
import {
  FLOOR_PG_OPTIONS,
  FLOOR_RULES_SCHEMA,
  FLOOR_SCHEMA,
  lockStatement,
  rulesLockStatement,
} from './lib/floor-sql.js';

const cfg = floorConfig();
const pool = new pg.Pool({
  connectionString: requiredEnv('DATABASE_URL'),
  max: cfg.poolSize,
  options: FLOOR_PG_OPTIONS,
});

const events = Array.from({ length: cfg.events }, () => randomUUID());
await pool.query(FLOOR_SCHEMA);
if (cfg.rules) await pool.query(FLOOR_RULES_SCHEMA);
await pool.query(
  `INSERT INTO seats (id, event_id)
   SELECT gen_random_uuid(), e FROM unnest($1::uuid[]) e, generate_series(1, $2::int)`,
  [events, cfg.seatsPerEvent],
);
await pool.query('ANALYZE');

// Named: each pooled connection prepares it once, as pgbench's -M prepared does.
const inputs = { token: '$1::uuid', event: '$2::uuid', seats: '$3::uuid[]', ttlSeconds: cfg.lockTtlSeconds };
const LOCK = {
  name: 'floor-lock',
  text: cfg.rules
    ? rulesLockStatement({ ...inputs, maxSeats: cfg.maxSeats, maxHoldSeconds: cfg.maxHoldSeconds })
    : lockStatement(inputs),
};

const store: FloorStore = {
  events,
  async createSession(token) {
    await pool.query(
      `INSERT INTO sessions (token, expires_at) VALUES ($1, now() + make_interval(secs => $2))`,
      [token, cfg.sessionTtlSeconds],
    );
  },
  async seats(eventId) {
    const r = await pool.query<{ id: string; sold: boolean; lock_until: Date | null; now: Date }>(
      `SELECT id, status = 'sold' AS sold, lock_until, now() AS now FROM seats WHERE event_id = $1 ORDER BY id`,
      [eventId],
    );
    if (r.rows.length === 0) return null;
    return r.rows.map((s) => ({
      seatID: s.id,
      status: seatStatus(s.sold, s.lock_until?.getTime() ?? null, s.now.getTime()),
    }));
  },
  async lock(token, eventId, seatIds) {
    const r = await pool.query<{
      live: boolean;
      ok: boolean;
      lock_until: Date | null;
      held_count?: number;
      held?: string[] | null;
    }>({ ...LOCK, values: [token, eventId, seatIds] });
    const row = r.rows[0];
    if (!row?.live) return { outcome: 'no-session' };
    if (!row.ok) return { outcome: 'unavailable' };
    if (cfg.rules && (row.held_count ?? 0) > cfg.maxSeats) return { outcome: 'too-many' };
    if (!row.lock_until) return { outcome: 'unavailable' };
    return { outcome: 'ok', lockUntil: row.lock_until, ...(row.held ? { held: row.held } : {}) };
  },
  close: () => pool.end(),
};

await serveFloor(store, cfg.port);
