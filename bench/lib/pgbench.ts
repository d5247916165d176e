import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresCpuMs } from './procs.js';
import { FLOOR_PG_OPTIONS, FLOOR_SCHEMA, lockStatement } from './floor-sql.js';
import { createScratchDb, dbUrl, PG_ADMIN_URL, serverFacts, withClient } from './pg.js';

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

// Ids built from integers, so that a pgbench variable can name a row: each parameter of the floor's
// statement is computed from a \set integer by a cheap expression.
const uuidOf = (prefix: string, v: string) =>
  `('00000000-0000-4000-${prefix}-' || lpad((${v})::text, 12, '0'))::uuid`;
const SEAT = (v: string) => uuidOf('8000', v);
const EVENT = (v: string) => uuidOf('9000', v);
const SESSION = (v: string) => uuidOf('a000', v);

// Enough sessions that none holds more than a few seats over a run, as in the lock-only scenario.
export const PGBENCH_SESSIONS = 10_000;
const STEADY_BASE = 1_000_000;

export interface CeilingShape {
  rushSeats: number;
  steadyEvents: number;
  steadySeatsPerEvent: number;
  lockTtlSeconds: number;
}

/**
 * The pg floor's one lock statement (bench/lib/floor-sql.ts), word for word, on 1–4 adjacent random
 * seats of one event (the rush's one event, or one of the steady ones), for a random one of many
 * sessions: the least the database itself must do per lock.
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
    `${lockStatement({ token: SESSION(':sid'), event: EVENT(':e'), seats, ttlSeconds: shape.lockTtlSeconds })};`,
    '',
  ].join('\n');
}

/** A scratch database with the floor's tables, one rush event, the steady events and the sessions. */
export async function preparePgbenchDb(shape: CeilingShape): Promise<string> {
  const name = await createScratchDb('_pgbench');
  await withClient(dbUrl(name), async (c) => {
    await c.query(FLOOR_SCHEMA);
    await c.query(
      `INSERT INTO seats (id, event_id) SELECT ${SEAT('k')}, ${EVENT('0')} FROM generate_series(1, $1::int) k`,
      [shape.rushSeats],
    );
    await c.query(
      `INSERT INTO seats (id, event_id)
       SELECT ${SEAT(`${STEADY_BASE} + (e - 1) * $2::int + p`)}, ${EVENT('e')}
         FROM generate_series(1, $1::int) e, generate_series(1, $2::int) p`,
      [shape.steadyEvents, shape.steadySeatsPerEvent],
    );
    await c.query(
      `INSERT INTO sessions (token, expires_at)
       SELECT ${SESSION('s')}, now() + interval '1 day' FROM generate_series(1, $1::int) s`,
      [PGBENCH_SESSIONS],
    );
    await c.query('VACUUM ANALYZE');
  });
  return name;
}

/**
 * Back to no seat held. pgbench never releases what it locks, so without this each run would start
 * where the last left off, with thousands of holds.
 */
async function resetSeats(db: string): Promise<void> {
  await withClient(dbUrl(db), async (c) => {
    await c.query(`UPDATE seats SET locked_by = NULL, lock_until = NULL WHERE locked_by IS NOT NULL`);
    await c.query('VACUUM ANALYZE seats');
  });
}

async function lockedSeats(db: string): Promise<number> {
  return withClient(dbUrl(db), async (c) => {
    const r = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM seats WHERE locked_by IS NOT NULL`,
    );
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
    // The floor's connection settings (one plan per connection), as its route has them.
    const env = { ...process.env, PGOPTIONS: FLOOR_PG_OPTIONS };
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
