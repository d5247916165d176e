/**
 * The floor routes (bench/floor-pg.ts, bench/floor-redis.ts), run by the orchestrator: each started
 * fresh per lock-only level in its own process, driven by the lock-only load generator exactly as the
 * service is, then probed for correctness.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { lockRate, type LockOnlyParams, type LockOnlyResult } from '../scenarios/lock-only.js';
import { cpuMsPer, measureWindow, walKBPer } from './cpu.js';
import { createScratchDb, dbUrl, dropScratchDb } from './pg.js';
import {
  holdsInRedis,
  lockOnlyParams,
  pacedParams,
  redisModeExists,
  sharedLimits,
  type Plan,
} from './plan.js';
import { runJob, startScript, type ServiceHandle } from './procs.js';
import { dropRedisKeys } from './redis-keys.js';
import type { CpuShares } from './row.js';

/**
 * `redis-slots`: the Redis floor as a Redis Cluster needs it (session and seats in separate slots).
 * `pg-rules`, `redis-rules`: the floors with the contract's rules for every lock (FLOOR_RULES, see
 * floor-common.ts), shown beside the floors the targets are judged against.
 */
export type FloorName = 'pg' | 'redis' | 'redis-slots' | 'pg-rules' | 'redis-rules';

export interface FloorResult {
  floor: FloorName;
  connections: number;
  /** Set on the paced level: the rate it was sent at (half the floor's own rate at 64 connections). */
  pacedPerSec?: number;
  /** Lock requests answered per second, counted as on the lock-only rows. */
  perSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  cpu: CpuShares;
  /** CPU time per lock (ms): the floor's process, PostgreSQL's and Redis's. */
  cpuMsPerLock: { floor: number | null; postgres: number | null; redis: number | null };
  /** KB of WAL PostgreSQL wrote per lock (the pg floor; the Redis floors write none). */
  walKBPerLock: number | null;
  notes: string[];
}

/** The floor a store's lock is compared with; PGlite has none (no server of its own to share). */
export const floorOf = (store: string): 'pg' | 'redis' | null =>
  store === 'postgres' || store === 'postgres-2x' ? 'pg' : holdsInRedis(store) ? 'redis' : null;

export interface RunningFloor {
  handle: ServiceHandle;
  events: string[];
  stop(): Promise<void>;
}

/** A floor on a free port with the plan's events and seats (`nodeArgs`: e.g. `--cpu-prof`). */
export async function startFloor(
  floor: FloorName,
  plan: Plan,
  tmp: string,
  nodeArgs: string[] = [],
): Promise<RunningFloor> {
  const env: Record<string, string> = {
    ...sharedLimits(plan),
    FLOOR_EVENTS: String(plan.steadyEvents),
    FLOOR_SEATS_PER_EVENT: String(plan.steadySeatsPerEvent),
  };
  let cleanup: () => Promise<void>;
  if (floor.endsWith('-rules')) env.FLOOR_RULES = '1';
  if (floor.startsWith('pg')) {
    const db = await createScratchDb('_floor');
    env.DATABASE_URL = dbUrl(db);
    cleanup = () => dropScratchDb(db);
  } else {
    const prefix = `bench_floor_${randomBytes(5).toString('hex')}:`;
    Object.assign(env, { REDIS_URL: plan.redisUrl, REDIS_KEY_PREFIX: prefix });
    // The floor deletes its keys as it exits; this is for when it could not.
    cleanup = () => dropRedisKeys(plan.redisUrl, prefix);
  }
  if (floor === 'redis-slots') env.FLOOR_REDIS_SLOTS = '1';
  let handle: ServiceHandle;
  try {
    handle = await startScript(
      `the ${floor} floor`,
      `bench/floor-${floor.startsWith('pg') ? 'pg' : 'redis'}.ts`,
      join(tmp, `floor-${floor}.log`),
      env,
      nodeArgs,
    );
  } catch (e) {
    await cleanup();
    throw e;
  }
  const stop = async () => {
    try {
      await handle.stop();
    } finally {
      await cleanup();
    }
  };
  try {
    const res = await fetch(`${handle.origin}/api/events`);
    const body = (await res.json()) as { events: { eventID: string }[] };
    return { handle, events: body.events.map((e) => e.eventID), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * A floor fast because it is wrong would make every ratio meaningless, so each one is checked once it
 * has been measured (a failure stops the bench): no lock without a live session; crossing locks (session
 * i wants seats i and i+1, all at once) leave each of their seats with one holder at most and hold
 * exactly the seats answered 200 (all or nothing); and of 16 sessions racing for the same two seats
 * exactly one wins. Returns what failed.
 */
async function probe(origin: string, eventId: string): Promise<string[]> {
  const call = async (method: string, path: string, body?: unknown, session?: string) => {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(session ? { 'x-session-id': session } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const map = async () =>
    (await call('GET', `/api/seats/${eventId}`)).body.seats as { seatID: string; status: string }[];
  const lock = (seatIDs: string[], session?: string) =>
    call('POST', '/api/lock', { eventID: eventId, seatIDs }, session);

  const failures: string[] = [];
  const free = (await map()).filter((s) => s.status === 'available').map((s) => s.seatID);
  if (free.length < 20) return ['fewer than 20 free seats to probe with'];
  for (const session of [undefined, randomUUID()]) {
    const r = await lock([free[0] as string], session);
    if (r.status !== 401)
      failures.push(`a lock ${session ? 'with an unknown' : 'without a'} session answered ${r.status}`);
  }
  const sessions = await Promise.all(
    Array.from({ length: 16 }, async () => String((await call('POST', '/api/sessions')).body.sessionID)),
  );

  const wanted = sessions.map((_, i) => free.slice(i, i + 2));
  const crossing = await Promise.all(sessions.map((s, i) => lock(wanted[i] as string[], s)));
  if (crossing.some((r) => r.status !== 200 && r.status !== 409))
    failures.push(`crossing locks answered ${[...new Set(crossing.map((r) => r.status))].join(', ')}`);
  const held = wanted.filter((_, i) => crossing[i]?.status === 200).flat();
  if (held.length === 0) failures.push('no crossing lock succeeded');
  if (new Set(held).size !== held.length) failures.push('two sessions were answered 200 for the same seat');
  // Only the probe's own seats: the event may hold the load's holds too.
  const probed = new Set(wanted.flat());
  const shown = (await map())
    .filter((s) => s.status === 'locked' && probed.has(s.seatID))
    .map((s) => s.seatID);
  if ([...shown].sort().join() !== [...new Set(held)].sort().join())
    failures.push(`the map shows ${shown.length} seats held where ${held.length} were answered 200`);

  const race = await Promise.all(sessions.map((s) => lock(free.slice(18, 20), s)));
  const winners = race.filter((r) => r.status === 200).length;
  if (winners !== 1) failures.push(`${winners} of 16 sessions racing for the same two seats won`);
  return failures;
}

/** One level on a fresh floor (a level takes seats for good: holds outlast it), probed after the load. */
async function floorLevel(
  floor: FloorName,
  plan: Plan,
  tmp: string,
  params: (origin: string, events: string[]) => LockOnlyParams,
): Promise<FloorResult> {
  const f = await startFloor(floor, plan, tmp);
  try {
    const level = params(f.handle.origin, f.events);
    const { result: r, cpu } = await measureWindow(f.handle, (mark) =>
      runJob<LockOnlyResult>({ kind: 'lock-only', params: level }, mark),
    );
    // Probed after the load, not before: the pg floor plans its statement once per connection, at
    // the first lock it runs, and a plan made while the probe's handful of sessions were all there
    // was (a sequential scan of sessions) stayed for the whole level, tripling the database's cost
    // per lock. The service's connections first lock once the level's sessions exist; so do these.
    const failures = await probe(f.handle.origin, f.events[0] as string);
    if (failures.length > 0)
      throw new Error(`the ${floor} floor failed its correctness probe: ${failures.join('; ')}`);
    const perSec = lockRate(r);
    return {
      floor,
      connections: level.connections,
      perSec,
      p50Ms: r.endpoints.lock?.p50Ms ?? null,
      p99Ms: r.endpoints.lock?.p99Ms ?? null,
      cpu,
      cpuMsPerLock: {
        floor: cpuMsPer(cpu.service, perSec),
        postgres: cpuMsPer(cpu.postgres, perSec),
        redis: cpuMsPer(cpu.redis, perSec),
      },
      walKBPerLock: walKBPer(cpu, perSec),
      notes: [
        ...(r.ranOut ? ['ran out of sessions or seats before the end'] : []),
        ...(r.networkErrors > 0 ? [`${r.networkErrors} network errors`] : []),
        ...r.unexpected,
      ],
    };
  } finally {
    await f.stop();
  }
}

/** Every floor the planned stores are compared with, at each lock-only level. */
export async function measureFloors(
  plan: Plan,
  tmp: string,
  log: (msg: string) => void,
): Promise<FloorResult[]> {
  // Only the floors of stores that will run (the redis store needs the service's Redis mode).
  const floors = [...new Set(plan.stores.map(floorOf))]
    .filter((f): f is 'pg' | 'redis' => f !== null && (f !== 'redis' || redisModeExists()))
    .flatMap((f): FloorName[] => (f === 'redis' ? ['redis', 'redis-slots', 'redis-rules'] : [f, 'pg-rules']));
  const out: FloorResult[] = [];
  for (const floor of floors) {
    // The floors with the contract's rules are shown at 64 connections only, where the targets are read.
    const levels = floor.endsWith('-rules') ? [64] : plan.lockOnlyConnections;
    for (const connections of levels) {
      const closed = await floorLevel(floor, plan, tmp, (origin, events) =>
        lockOnlyParams(plan, origin, events, connections),
      );
      out.push(closed);
      log(
        `  ${floor} floor lock-only @${connections}: ${closed.perSec.toFixed(0)} locks/s, lock p99 ${closed.p99Ms} ms`,
      );
      if (connections !== 64 || closed.perSec <= 0 || floor.endsWith('-rules')) continue;
      // Paced like the service's paced level, at half the floor's own rate: the latency the least
      // lock gets on this machine, which the p99 target is read against.
      const rate = closed.perSec / 2;
      const paced = await floorLevel(floor, plan, tmp, (origin, events) =>
        pacedParams(plan, origin, events, rate),
      );
      out.push({ ...paced, pacedPerSec: rate });
      log(
        `  ${floor} floor lock-paced @64 (${rate.toFixed(0)}/s): lock p50 ${paced.p50Ms} ms, p99 ${paced.p99Ms} ms`,
      );
    }
  }
  return out;
}
