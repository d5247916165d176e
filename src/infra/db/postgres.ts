import pg from 'pg';
import type { Db, Queryable, QueryResult } from './db.js';
import { withRetry } from './db.js';

export interface PostgresOptions {
  connectionString: string;
  max?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export function createPostgresDb(opts: PostgresOptions): Db {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 20,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
    statement_timeout: opts.statementTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);

  const run = async <T>(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params?: unknown[],
  ): Promise<QueryResult<T>> => {
    const res = await client.query(sql, params);
    return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
  };

  return {
    kind: 'postgres',
    query: <T>(sql: string, params?: unknown[]) => withRetry(() => run<T>(pool, sql, params)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      withRetry(async () => {
        const client = await pool.connect();
        let broken = false;
        try {
          await client.query('BEGIN');
          const result = await fn({ query: (sql, params) => run(client, sql, params) });
          await client.query('COMMIT');
          return result;
        } catch (e) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          throw e;
        } finally {
          client.release(broken);
        }
      }),
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}
