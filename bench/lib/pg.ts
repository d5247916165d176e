import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function dbUrl(name: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A scratch database for one run (`bench_<random>`); its name is returned for the drop. */
export async function createScratchDb(suffix = ''): Promise<string> {
  const name = `bench_${randomBytes(5).toString('hex')}${suffix}`;
  await withClient(PG_ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  return name;
}

export async function dropScratchDb(name: string): Promise<void> {
  if (!/^bench_[0-9a-f]+\w*$/.test(name)) throw new Error(`refusing to drop ${name}`);
  await withClient(PG_ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** The server's settings that shape a write-heavy run the most: shown beside its figures. */
const SETTINGS = ['shared_buffers', 'max_wal_size', 'full_page_writes', 'synchronous_commit', 'autovacuum'];

export async function serverFacts(): Promise<{
  version: string;
  settings: string;
  maxConnections: number;
  inUse: number;
}> {
  return withClient(PG_ADMIN_URL, async (c) => {
    const v = await c.query<{ server_version: string }>('SHOW server_version');
    const s = await c.query<{ name: string; value: string }>(
      `SELECT name, CASE WHEN unit = '8kB' THEN pg_size_pretty(setting::bigint * 8192)
                         WHEN unit = 'MB' THEN pg_size_pretty(setting::bigint * 1048576)
                         ELSE setting END AS value
         FROM pg_settings WHERE name = ANY ($1) ORDER BY array_position($1, name)`,
      [SETTINGS],
    );
    const m = await c.query<{ max: number; used: number }>(
      `SELECT current_setting('max_connections')::int AS max, (SELECT count(*)::int FROM pg_stat_activity) AS used`,
    );
    return {
      version: v.rows[0]?.server_version ?? '?',
      settings: s.rows.map((r) => `${r.name} ${r.value}`).join(', '),
      maxConnections: m.rows[0]?.max ?? 100,
      inUse: m.rows[0]?.used ?? 0,
    };
  });
}

/** Bytes of WAL the server has written since its statistics were reset; null where it does not say. */
export async function walWritten(): Promise<number | null> {
  try {
    return await withClient(PG_ADMIN_URL, async (c) => {
      const { rows } = await c.query<{ b: number }>('SELECT wal_bytes::float8 AS b FROM pg_stat_wal');
      return rows[0]?.b ?? null;
    });
  } catch {
    return null;
  }
}
