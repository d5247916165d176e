import { createHash } from 'node:crypto';
import { DomainError } from '../../domain/errors.js';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * A statement of the hot path, run thousands of times a second: on PostgreSQL each connection parses and
 * plans it once, under its name, instead of on every call. One name, one text.
 */
export interface NamedStatement {
  name: string;
  text: string;
}

/** What repositories need: one query, or several inside a transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(
    sql: string | NamedStatement,
    params?: unknown[],
  ): Promise<QueryResult<T>>;
}

export const sqlText = (sql: string | NamedStatement) => (typeof sql === 'string' ? sql : sql.text);

/**
 * A named statement whose name also says its text: two versions of the service sharing servers through
 * a pooler never run each other's statement under one name.
 */
export const namedStatement = (name: string, text: string): NamedStatement => ({
  name: `${name}_${createHash('sha256').update(text).digest('hex').slice(0, 12)}`,
  text,
});

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction; serialization failures and deadlocks are retried. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Pool use, for metrics and readiness. */
  stats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

const RETRYABLE = new Set(['40001', '40P01']);
// Connection-level failures: the client can retry later, so they are a 503, never a 500.
// 57014 is a statement cut off by statement_timeout: a database too slow to answer, as good as away.
const UNAVAILABLE_CODES = new Set([
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

export const MAX_ATTEMPTS = 5;

/** The SQLSTATE or errno code an error carries, if any. */
export function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}

export function isRetryable(e: unknown): boolean {
  return RETRYABLE.has(errorCode(e) ?? '');
}

export function isUnavailable(e: unknown): boolean {
  const code = errorCode(e) ?? '';
  if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_ERRNOS.has(code)) return true;
  const msg = e instanceof Error ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|Query read timeout|PGlite is closed|Cannot use a pool after calling end/i.test(
    msg,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `attempt` until it succeeds, retrying races (40001, 40P01) with jittered exponential backoff.
 * A race still unsettled after MAX_ATTEMPTS, or a lost database, becomes a 503 the client can retry.
 */
export async function withRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (isRetryable(e) && i < MAX_ATTEMPTS) {
        await sleep(Math.random() * 5 * 2 ** i);
        continue;
      }
      if (isRetryable(e)) throw new DomainError('SERVICE_UNAVAILABLE', 'Too much contention: retry shortly.');
      if (isUnavailable(e))
        throw new DomainError('SERVICE_UNAVAILABLE', 'The database is unavailable: retry shortly.');
      throw e;
    }
  }
}
