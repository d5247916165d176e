import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db.js';
import { withRetry } from './db.js';

/** Embedded PostgreSQL (WASM). One connection: PGlite runs queries and transactions one at a time. */
export async function createPgliteDb(dataDir?: string): Promise<Db> {
  const pglite = await PGlite.create(dataDir ? { dataDir } : {});
  const wrap = (q: { query: PGlite['query'] }): Queryable => ({
    query: async <T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> => {
      const res = await q.query<T>(sql, params);
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
