import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Db, NamedStatement, Queryable, QueryResult } from './db.js';
import { sqlText, withRetry } from './db.js';

// PGlite zeroes its shared buffers at every start: 128 MB of them cost half a second. The embedded
// database serves one instance, and its files sit in the OS page cache anyway.
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * A freshly initialised, empty data directory, made once by `npm run build` (initdb takes seconds in
 * WASM; unpacking this takes a fraction of that). Kept in node_modules/.cache, beside the PGlite it was
 * made by, and named by that PGlite's version: another version's template is never used (a new database
 * is then made the slow way).
 */
export function templatePath(): string {
  const require = createRequire(import.meta.url);
  const pgliteDir = join(dirname(require.resolve('@electric-sql/pglite')), '..');
  const { version } = JSON.parse(readFileSync(join(pgliteDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return join(pgliteDir, '..', '..', '.cache', 'seat-reservation', `pglite-template-${version}.tar.gz`);
}

/** Writes the template (see templatePath). */
export async function writeTemplate(): Promise<string> {
  const pglite = await PGlite.create({ startParams: START_PARAMS });
  const dump = await pglite.dumpDataDir('gzip');
  await pglite.close();
  const path = templatePath();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, Buffer.from(await dump.arrayBuffer()));
  return path;
}

function template(dataDir: string | undefined): Blob | undefined {
  const isNew = !dataDir || dataDir.startsWith('memory://') || !existsSync(join(dataDir, 'PG_VERSION'));
  const path = isNew ? templatePath() : undefined;
  return path && existsSync(path) ? new Blob([readFileSync(path)]) : undefined;
}

/** Embedded PostgreSQL (WASM). One connection: PGlite runs queries and transactions one at a time. */
export async function createPgliteDb(dataDir?: string): Promise<Db> {
  const loadDataDir = template(dataDir);
  const pglite = await PGlite.create({
    ...(dataDir && { dataDir }),
    ...(loadDataDir && { loadDataDir }),
    startParams: START_PARAMS,
  });
  const wrap = (q: { query: PGlite['query'] }): Queryable => ({
    query: async <T>(sql: string | NamedStatement, params?: unknown[]): Promise<QueryResult<T>> => {
      const res = await q.query<T>(sqlText(sql), params);
      return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
    },
  });
  const direct = wrap(pglite);
  let inFlight = 0;
  const track = async <T>(p: () => Promise<T>) => {
    inFlight++;
    try {
      return await p();
    } finally {
      inFlight--;
    }
  };
  return {
    kind: 'pglite',
    query: (sql, params) => track(() => withRetry(() => direct.query(sql, params))),
    transaction: (fn) => track(() => withRetry(() => pglite.transaction((tx) => fn(wrap(tx))))),
    stats: () => ({ total: 1, idle: inFlight === 0 ? 1 : 0, waiting: Math.max(0, inFlight - 1) }),
    close: () => pglite.close(),
  };
}
