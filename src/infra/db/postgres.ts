import pg from 'pg';
import type { Db, NamedStatement, Queryable, QueryResult } from './db.js';
import { DomainError } from '../../domain/errors.js';
import { errorCode, isUnavailable, sqlText, withRetry } from './db.js';

// After a connection failure, calls fail at once for this long instead of each waiting for its own
// connect timeout: a request that needs several queries answers 503 in one timeout, not several.
const FAIL_FAST_MS = 500;
// "prepared statement does not exist", "prepared statement already exists".
const NAME_REFUSED = new Set(['26000', '42P05']);

export interface PostgresOptions {
  connectionString: string;
  max?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  /**
   * Have the server enforce the statement timeout, set when connecting (the default). A pooler such as
   * PgBouncer refuses that setting: then only the client's own timeout applies.
   */
  serverTimeout?: boolean;
}

/**
 * Opens the pool and makes sure it connects. A pooler that refuses the statement timeout at connect
 * (PgBouncer answers "unsupported startup parameter") gets a pool that does not send it.
 */
export async function openPostgresDb(opts: PostgresOptions): Promise<Db> {
  const db = createPostgresDb(opts);
  try {
    await db.query('SELECT 1');
    return db;
  } catch (e) {
    await db.close();
    if (!/unsupported startup parameter/i.test(e instanceof Error ? e.message : '')) throw e;
    return createPostgresDb({ ...opts, serverTimeout: false });
  }
}

export function createPostgresDb(opts: PostgresOptions): Db {
  const statementTimeout = opts.statementTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 20,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
    ...(opts.serverTimeout !== false && { statement_timeout: statementTimeout }),
    // statement_timeout is enforced by the server; a server that hangs (or a network that drops packets)
    // answers nothing, so the client gives up on its own a little later. No request waits forever.
    query_timeout: statementTimeout + 1000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);

  // Named statements until the server shows it cannot keep them: a pooler in transaction mode (PgBouncer
  // before 1.21, or without max_prepared_statements) deals each call to any server connection, where the
  // name is unknown or already taken. Those errors come before anything runs, so the call is made again
  // unnamed, and so is every later one.
  let named = true;
  const run = async <T>(
    client: pg.Pool | pg.PoolClient,
    sql: string | NamedStatement,
    params?: unknown[],
  ): Promise<QueryResult<T>> => {
    const res =
      typeof sql === 'string' || !named
        ? await client.query(sqlText(sql), params)
        : await client.query({ name: sql.name, text: sql.text, values: params }).catch((e: unknown) => {
            if (!NAME_REFUSED.has(errorCode(e) ?? '')) throw e;
            named = false;
            return client.query(sql.text, params);
          });
    return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
  };

  let downUntil = 0;
  const failFast = async <T>(call: () => Promise<T>): Promise<T> => {
    if (Date.now() < downUntil)
      throw new DomainError('SERVICE_UNAVAILABLE', 'The database is unavailable: retry shortly.');
    try {
      return await call();
    } catch (e) {
      if (lostConnection(e)) downUntil = Date.now() + FAIL_FAST_MS;
      throw e;
    }
  };

  return {
    kind: 'postgres',
    query: <T>(sql: string, params?: unknown[]) => withRetry(() => failFast(() => run<T>(pool, sql, params))),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      withRetry(() =>
        failFast(async () => {
          const client = await pool.connect();
          // A checked-out client whose connection dies emits 'error' (the pool only listens to idle ones):
          // unheard, that would crash the process. The query in flight fails with the same error anyway.
          const ignore = () => undefined;
          client.on('error', ignore);
          let broken = false;
          try {
            await client.query('BEGIN');
            // Unnamed inside a transaction: a refused name there would abort it, with no second try.
            const result = await fn({ query: (sql, params) => run(client, sqlText(sql), params) });
            await client.query('COMMIT');
            return result;
          } catch (e) {
            // On a dead or hung connection a ROLLBACK would only wait for another timeout: drop the
            // connection instead, which rolls the transaction back on the server.
            broken =
              isUnavailable(e) ||
              (await client.query('ROLLBACK').then(
                () => false,
                () => true,
              ));
            throw e;
          } finally {
            client.removeListener('error', ignore);
            client.release(broken);
          }
        }),
      ),
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}

/** A failure to reach the server (not a slow statement, which says nothing about the others). */
const lostConnection = (e: unknown) => isUnavailable(e) && errorCode(e) !== '57014';
