import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresCpuMs } from './procs.js';
import { applyMigrations, createScratchDb, dbUrl, PG_ADMIN_URL, serverFacts, withClient } from './pg.js';

/** pgbench from PostgreSQL's packages (postgresql-client-NN on Debian). */
export function findPgbench(): string | null {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(`${base}/${v}/bin/pgbench`)) return `${base}/${v}/bin/pgbench`;
  }
  try {
    return execFileSync('which', ['pgbench'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

// Ids built from integers, so that a pgbench variable can name a row: the SQL is the service's,
// with each parameter computed from a \set integer by a cheap expression.
const uuidOf = (prefix: string, v: string) =>
  `('00000000-0000-4000-${prefix}-' || lpad((${v})::text, 12, '0'))::uuid`;
const SEAT = (v: string) => uuidOf('8000', v);
const EVENT = (v: string) => uuidOf('9000', v);
const SESSION = (v: string) => uuidOf('a000', v);

// Enough sessions that none piles up more than a hold or two over a run, as in the service,
// where each session confirms or cancels what it locked before it locks again.
export const PGBENCH_SESSIONS = 10_000;
const STEADY_BASE = 1_000_000;

export interface CeilingShape {
  rushSeats: number;
  steadyEvents: number;
  steadySeatsPerEvent: number;
}

/**
 * The statements of one lock, as the service sends them (session touch; BEGIN; session row FOR UPDATE;
 * seats FOR UPDATE in id order; UPDATE seats; COMMIT), on 1–4 adjacent random seats of one event,
 * for a random one of many sessions.
 */
export function lockScript(kind: 'rush' | 'steady', shape: CeilingShape): string {
  const pick =
    kind === 'rush'
      ? [`\\set e 0`, `\\set k random(1, ${shape.rushSeats - 3})`]
      : [
          `\\set e random(1, ${shape.steadyEvents})`,
          `\\set p random(1, ${shape.steadySeatsPerEvent - 3})`,
          `\\set k ${STEADY_BASE} + (:e - 1) * ${shape.steadySeatsPerEvent} + :p`,
        ];
  const seats = `(ARRAY[${[':k', ':k1', ':k2', ':k3'].map(SEAT).join(', ')}])[1:(:n)::int]`;
  return [
    `\\set sid random(1, ${PGBENCH_SESSIONS})`,
    `\\set n random(1, 4)`,
    ...pick,
    `\\set k1 :k + 1`,
    `\\set k2 :k + 2`,
    `\\set k3 :k + 3`,
    `UPDATE sessions SET expires_at = now() + interval '30 minutes' WHERE token_hash = uuid_send(${SESSION(':sid')}) AND ended_at IS NULL AND expires_at > now() RETURNING id, expires_at;`,
    `BEGIN;`,
    `SELECT 1 FROM sessions WHERE id = ${SESSION(':sid')} AND ended_at IS NULL AND expires_at > now() FOR UPDATE;`,
    `SELECT id, status, locked_by, lock_until FROM seats WHERE event_id = ${EVENT(':e')} AND (id = ANY(${seats}) OR (locked_by = ${SESSION(':sid')} AND status = 'locked')) ORDER BY id FOR UPDATE;`,
    `UPDATE seats SET status = 'locked', locked_by = ${SESSION(':sid')}, lock_until = now() + interval '10 minutes' WHERE id = ANY(${seats});`,
    `COMMIT;`,
    '',
  ].join('\n');
}

/** A scratch database with the service's schema, one rush event, the steady events and the sessions. */
export async function preparePgbenchDb(shape: CeilingShape): Promise<string> {
  const name = await createScratchDb('_pgbench');
  await withClient(dbUrl(name), async (c) => {
    await applyMigrations(c);
    await c.query(
      `INSERT INTO events (id, name, currency, created_at)
       SELECT ${EVENT('e')}, 'pgbench ' || e, 'EUR', now() FROM generate_series(0, $1::int) e`,
      [shape.steadyEvents],
    );
    await c.query(
      `INSERT INTO seats (id, event_id, position, name, price)
       SELECT ${SEAT('k')}, ${EVENT('0')}, k - 1, 'S' || k, 2000 FROM generate_series(1, $1::int) k`,
      [shape.rushSeats],
    );
    await c.query(
      `INSERT INTO seats (id, event_id, position, name, price)
       SELECT ${SEAT(`${STEADY_BASE} + (e - 1) * $2::int + p`)}, ${EVENT('e')}, p - 1, 'S' || p, 2000
         FROM generate_series(1, $1::int) e, generate_series(1, $2::int) p`,
      [shape.steadyEvents, shape.steadySeatsPerEvent],
    );
    await c.query(
      `INSERT INTO sessions (id, token_hash, created_at, expires_at)
       SELECT ${SESSION('s')}, uuid_send(${SESSION('s')}), now(), now() + interval '1 day'
         FROM generate_series(1, $1::int) s`,
      [PGBENCH_SESSIONS],
    );
    await c.query('VACUUM ANALYZE');
  });
  return name;
}

/**
 * Back to the state the service keeps: no seat held. pgbench never releases what it locks, so without
 * this each run would start where the last left off, with thousands of stale holds.
 */
async function resetSeats(db: string): Promise<void> {
  await withClient(dbUrl(db), async (c) => {
    await c.query(
      `UPDATE seats SET status = 'available', locked_by = NULL, lock_until = NULL WHERE status = 'locked'`,
    );
    await c.query('VACUUM ANALYZE seats');
    await c.query('VACUUM ANALYZE sessions');
  });
}

async function lockedSeats(db: string): Promise<number> {
  return withClient(dbUrl(db), async (c) => {
    const r = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM seats WHERE status = 'locked'`);
    return r.rows[0]?.n ?? 0;
  });
}

export interface PgbenchResult {
  clients: number;
  pgCpuMsPerTxn: number | null;
  /** Seats left locked at the end of the run (pgbench only locks). */
  lockedAfter: number;
  tps: number;
  latencyAvgMs: number | null;
  transactions: number;
  failed: number;
  cappedFrom: number | null;
}

export async function runPgbench(o: {
  bin: string;
  db: string;
  scriptDir: string;
  kind: 'rush' | 'steady';
  shape: CeilingShape;
  clients: number;
  seconds: number;
}): Promise<PgbenchResult> {
  const file = join(o.scriptDir, `lock-${o.kind}.sql`);
  writeFileSync(file, lockScript(o.kind, o.shape));
  // The server is shared (other test suites connect too): take what is free now, less a margin, and
  // step down if the server still turns clients away.
  const facts = await serverFacts();
  let clients = Math.max(4, Math.min(o.clients, facts.maxConnections - facts.inUse - 10));
  for (let attempt = 1; ; attempt++) {
    await resetSeats(o.db);
    try {
      const before = postgresCpuMs();
      const out = await pgbench(o.bin, file, o.db, clients, o.seconds);
      const pgCpuMs = postgresCpuMs() - before;
      const r = parse(out);
      return {
        ...r,
        clients,
        // PostgreSQL's CPU per transaction (all its processes: others' queries too, if any ran meanwhile).
        pgCpuMsPerTxn: r.transactions > 0 ? pgCpuMs / r.transactions : null,
        lockedAfter: await lockedSeats(o.db),
        cappedFrom: clients < o.clients ? o.clients : null,
      };
    } catch (e) {
      if (attempt >= 3 || !/too many clients/.test(String(e))) throw e;
      clients = Math.max(4, Math.floor(clients / 2));
    }
  }
}

function pgbench(bin: string, file: string, db: string, clients: number, seconds: number): Promise<string> {
  const u = new URL(PG_ADMIN_URL);
  const args = [
    ...['-n', '-f', file, '-M', 'prepared'],
    ...['-c', String(clients), '-j', String(Math.min(2, clients)), '-T', String(seconds)],
    ...['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username) || 'postgres', db],
  ];
  return new Promise<string>((ok, no) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.once('exit', (code) => (code === 0 ? ok(text) : no(new Error(`pgbench exited ${code}:\n${text}`))));
  });
}

function parse(out: string) {
  const num = (re: RegExp) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : null;
  };
  return {
    tps: num(/tps = ([\d.]+)/) ?? 0,
    latencyAvgMs: num(/latency average = ([\d.]+) ms/),
    transactions: num(/number of transactions actually processed: (\d+)/) ?? 0,
    failed: num(/number of failed transactions: (\d+)/) ?? 0,
  };
}
