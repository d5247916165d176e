import { existsSync, readFileSync } from 'node:fs';
import type { LockOnlyParams } from '../scenarios/lock-only.js';

export type StoreName = 'pglite' | 'postgres' | 'postgres-2x' | 'redis' | 'redis-2x';
/** The stores whose holds are in Redis. */
export const holdsInRedis = (store: string) => store === 'redis' || store === 'redis-2x';
export type ScenarioName = 'map' | 'rush' | 'steady' | 'lock-only' | 'best';

export interface Plan {
  quick: boolean;
  profile: boolean;
  /** Development only: no pgbench, bare-Fastify or floor runs (no ratios). */
  skipCeilings: boolean;
  /** Before each part, wait (up to a minute) for the machine to be mostly idle. */
  waitQuiet: boolean;
  runs: number;
  stores: StoreName[];
  scenarios: ScenarioName[];
  rushSeats: number;
  rushSessions: number;
  rushConnections: number;
  rushMaxSeconds: number;
  mapSeats: number;
  mapSeconds: number;
  /** Connections of the revalidated and compressed seat-map variants. */
  mapConnections: number;
  steadyEvents: number;
  steadySeatsPerEvent: number;
  steadyConnections: number[];
  steadySeconds: number;
  steadyWarmupSeconds: number;
  lockOnlyConnections: number[];
  lockOnlySessions: number;
  /** Events of 100 rows × 100 seats for best available, and as many for ordinary locks beside it. */
  bestEvents: number;
  pgbenchSeconds: number;
  bareSeconds: number;
  redisUrl: string;
  /** Given to the service and to the floor routes alike. */
  lockTtlSeconds: number;
  sessionTtlSeconds: number;
  dbPoolSize: number;
}

/** The limits the service runs with in the bench, and the floor routes too: one place for both. */
export const sharedLimits = (plan: Plan): Record<string, string> => ({
  LOCK_TTL_SECONDS: String(plan.lockTtlSeconds),
  SESSION_TTL_SECONDS: String(plan.sessionTtlSeconds),
  DB_POOL_SIZE: String(plan.dbPoolSize),
});

/** One lock-only level, the same for the service and the floors. */
export const lockOnlyParams = (
  plan: Plan,
  origin: string,
  eventIds: string[],
  connections: number,
): LockOnlyParams => ({
  origin,
  eventIds,
  connections,
  seconds: plan.steadySeconds,
  warmupSeconds: plan.steadyWarmupSeconds,
  sessions: plan.lockOnlySessions,
});

/**
 * The paced level: the same lock-only load at 64 connections, sent at `ratePerSec` (half the rate the
 * closed level just reached), each lock timed from when it was due. For the service and the floors.
 */
export const pacedParams = (
  plan: Plan,
  origin: string,
  eventIds: string[],
  ratePerSec: number,
): LockOnlyParams => ({
  ...lockOnlyParams(plan, origin, eventIds, 64),
  sessions: Math.ceil((ratePerSec * (plan.steadySeconds + plan.steadyWarmupSeconds + 1)) / 2),
  ratePerSec,
});

const USAGE =
  'usage: npm run bench -- [--quick] [--profile] [--runs N] [--stores pglite,postgres,postgres-2x,redis,redis-2x]\n' +
  '                        [--scenarios map,rush,steady,lock-only,best] [--skip-ceilings] [--wait-quiet]\n' +
  '       npm run bench -- --instructions [--stores postgres,redis]   (instructions per lock, under valgrind)';

/** Whether the service has the Redis holds mode: its adapter is there and the wiring reads REDIS_URL. */
export function redisModeExists(): boolean {
  if (!existsSync('src/infra/redis') || !existsSync('dist/infra/redis')) return false;
  try {
    return /REDIS_URL/.test(readFileSync('dist/wiring.js', 'utf8'));
  } catch {
    return false;
  }
}

export function parseArgs(argv: readonly string[]): Plan {
  const has = (f: string) => argv.includes(f);
  const value = (f: string) => {
    const i = argv.indexOf(f);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  for (const a of argv) {
    const known = [
      '--quick',
      '--profile',
      '--runs',
      '--stores',
      '--scenarios',
      '--skip-ceilings',
      '--wait-quiet',
      '--help',
    ];
    if (a.startsWith('--') && !known.includes(a)) {
      throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  if (has('--help')) throw new Error(USAGE);
  const quick = has('--quick');
  const runs = Number(value('--runs') ?? 1);
  if (!Number.isInteger(runs) || runs < 1 || runs > 10) throw new Error(`--runs takes 1 to 10\n${USAGE}`);
  const all: StoreName[] = ['pglite', 'postgres', 'postgres-2x', 'redis', 'redis-2x'];
  const stores = (value('--stores')?.split(',') ?? all) as StoreName[];
  for (const s of stores) if (!all.includes(s)) throw new Error(`unknown store ${s}\n${USAGE}`);
  const allScenarios: ScenarioName[] = ['map', 'rush', 'steady', 'lock-only', 'best'];
  const scenarios = (value('--scenarios')?.split(',') ?? allScenarios) as ScenarioName[];
  for (const s of scenarios)
    if (!allScenarios.includes(s)) throw new Error(`unknown scenario ${s}\n${USAGE}`);
  return {
    quick,
    profile: has('--profile'),
    skipCeilings: has('--skip-ceilings'),
    waitQuiet: has('--wait-quiet'),
    runs,
    stores,
    scenarios,
    // --quick sells a 1,000-seat event instead of 10,000 (the seat-map scenario keeps 10,000 seats).
    rushSeats: quick ? 1000 : 10_000,
    // --quick also races 250 sessions instead of 1,000: the first map loads alone take most of a rush.
    rushSessions: quick ? 250 : 1000,
    rushConnections: 64,
    rushMaxSeconds: quick ? 15 : 180,
    mapSeats: 10_000,
    mapSeconds: quick ? 1.5 : 8,
    mapConnections: 8,
    steadyEvents: 100,
    // Room for the rates: a lock-only level takes 1–4 seats per lock and never frees them (holds last
    // lockTtlSeconds), the levels share the events, and the Redis lock runs at ~9,000 locks/s here:
    // three full levels and the paced one take up to ~800,000 seats.
    steadySeatsPerEvent: quick ? 1000 : 10_000,
    steadyConnections: [16, 64, 256],
    steadySeconds: quick ? 1.5 : 10,
    steadyWarmupSeconds: quick ? 0.5 : 2,
    lockOnlyConnections: quick ? [64] : [16, 64, 256],
    // Each lock-only session locks once (twice if they run out): enough for a level with its warm-up
    // at ~10,000 locks/s (quick: 2 s) and ~13,000 (full: 12 s), which the Redis floor reaches here.
    lockOnlySessions: quick ? 10_000 : 80_000,
    bestEvents: quick ? 2 : 4,
    // As long as a lock-only level with its warm-up: holds pile up in both alike (docs/performance.md,
    // "Holds that pile up").
    pgbenchSeconds: quick ? 2 : 12,
    bareSeconds: quick ? 1.5 : 8,
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    // The service's defaults, stated so that the floors are sure to get the same.
    lockTtlSeconds: 600,
    sessionTtlSeconds: 1800,
    dbPoolSize: 20,
  };
}
