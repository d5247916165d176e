import type { LatencySummary } from './stats.js';

export type Scenario =
  | 'rush'
  | 'steady'
  | 'lock-only'
  | 'lock-paced'
  | 'best-10k'
  | 'lock-10k'
  | 'seat-map'
  | 'seat-map-revalidated'
  | 'seat-map-compressed'
  | 'seat-map-during-rush';

export interface CpuShares {
  /** Each a share of one core over the measured window (2.0 = both cores of this machine). */
  generator: number;
  service: number;
  postgres: number;
  /** Redis's, where the store holds seats there (else about 0: the shared server idles). */
  redis: number;
  /** The whole machine busy, as a share of all its cores. */
  machineBusy: number;
  /** Busy time not ours (other processes on the machine), as a share of one core. */
  other: number;
  /**
   * Not a share: the bytes of WAL PostgreSQL wrote per second of the window (all its databases; only the
   * bench's are busy), or null where the server does not say (pg_stat_wal: PostgreSQL 14 and later).
   */
  walBytesPerSec: number | null;
}

/** One line of latest.json: a scenario on one store. The first ten fields are the issue's. */
export interface Row {
  scenario: Scenario;
  store: string;
  instances: number;
  connections: number;
  /** Lock requests answered per second: for the rush every attempt (each runs the lock SQL), else successes. */
  lockPerSec: number | null;
  /** Lock latency (seat-map rows: GET /api/seats latency). */
  p50Ms: number | null;
  p99Ms: number | null;
  /**
   * The database's own ceiling: pgbench tps for the pg floor's one lock statement at the same
   * concurrency (seat-map rows: null); `ratio` = lockPerSec ÷ it.
   */
  ceilingPerSec: number | null;
  ratio: number | null;
  violations: number;

  p95Ms: number | null;
  successfulLocksPerSec?: number;
  conflictRate?: number;
  soldOutSeconds?: number | null;
  seats?: number;
  sessions?: number;
  readsPerSec?: number;
  requestsPerSec: number;
  /** The bare Fastify route's requests/s at the same connections, and this row's requests/s over it. */
  httpCeilingPerSec: number | null;
  httpRatio: number | null;
  pgbenchClients?: number;
  /**
   * Lock-only rows: the floor route of the store's kind (pg for postgres and postgres-2x, redis for
   * redis; none for pglite) at the same connections, its locks/s, and floorRatio = lockPerSec ÷ it.
   */
  floor?: 'pg' | 'redis';
  floorPerSec?: number | null;
  floorRatio?: number | null;
  /**
   * Redis lock-only rows: the Redis floor as a Redis Cluster needs it (session and seats in separate
   * slots, two scripts per lock), its locks/s and lockPerSec ÷ it. Shown beside the judged ratio.
   */
  slotsFloorPerSec?: number | null;
  slotsFloorRatio?: number | null;
  /** The floor with the contract's rules for every lock (pg-rules, redis-rules), at 64 connections. */
  rulesFloorPerSec?: number | null;
  rulesFloorRatio?: number | null;
  /**
   * Redis rows: lockPerSec ÷ the postgres row's of the same scenario and connections in the same run,
   * so that several runs give the median of each run's own ratio, as the floor ratios do.
   */
  postgresRatio?: number | null;
  /** Seat-map variants: the compressed body's bytes, and the share of answers that were 304. */
  compressedBytes?: number | null;
  encoding?: string | null;
  notModifiedShare?: number;
  /** CPU per request (ms): the service's processes, PostgreSQL's and Redis's; next to pgbench's PostgreSQL CPU per lock. */
  cpuMsPerRequest: {
    service: number | null;
    postgres: number | null;
    redis: number | null;
    pgbenchPostgres: number | null;
  };
  /** KB of WAL per request: what each request made PostgreSQL write (and flush) for crash safety. */
  walKBPerRequest: number | null;
  endpoints: Record<string, LatencySummary>;
  cpu: CpuShares;
  errors: number;
  notes: string[];
}
