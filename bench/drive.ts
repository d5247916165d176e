/**
 * One process alone under the lock-only load, saturated or at a fixed rate: what a lock costs it at the
 * same rate as another (the full bench compares each at its own saturated rate, where batching differs).
 *
 *   npx tsx bench/drive.ts <target> [--rate N] [--seconds 8] [--seats 1000] [--sessions 40000] [--profile]
 *
 * target: `service` (Redis holds), `service-pg`, or a floor: `redis`, `redis-rules`, `redis-slots`, `pg`,
 * `pg-rules`. 100 events of `--seats` seats, 64 connections, 2 s of warm-up; `--rate` paces the locks
 * (default: as fast as they go). `--profile` writes a CPU profile to bench/results/profiles/drive-*; Node
 * options for the target from BENCH_NODE_ARGS (e.g. `--max-semi-space-size=32`). Needs what the bench
 * needs (bench/README.md) and `npm run build` for the service.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockRate, type LockOnlyResult } from './scenarios/lock-only.js';
import { mapLimit } from './lib/client.js';
import { cpuMsPer, measureWindow } from './lib/cpu.js';
import { startFloor, type FloorName } from './lib/floors.js';
import { lockOnlyParams, parseArgs, sharedLimits } from './lib/plan.js';
import { benchNodeArgs, runJob, startService, type ServiceHandle } from './lib/procs.js';
import { createEvent } from './lib/setup.js';
import { openStore } from './lib/stores.js';

const FLOORS: FloorName[] = ['redis', 'redis-rules', 'redis-slots', 'pg', 'pg-rules'];
const args = process.argv.slice(2);
const target = args[0] ?? '';
const option = (name: string, def: number) => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : def;
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} takes a number`);
  return v;
};
if (target !== 'service' && target !== 'service-pg' && !FLOORS.includes(target as FloorName)) {
  process.stderr.write(`usage: npx tsx bench/drive.ts <service|service-pg|${FLOORS.join('|')}> [options]\n`);
  process.exit(2);
}
const rate = option('--rate', 0);
const seats = option('--seats', 1000);
// The full run's events (100), each of `--seats` seats.
const plan = { ...parseArgs([]), steadySeatsPerEvent: seats };
const seconds = option('--seconds', 8);
const sessions = option('--sessions', 40_000);
const tmp = mkdtempSync(join(tmpdir(), 'seat-drive-'));
const profileDir = args.includes('--profile')
  ? join('bench/results/profiles', `drive-${target}-${new Date().toISOString().replace(/[:.]/g, '-')}`)
  : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });

let stop: () => Promise<unknown>;
let handle: ServiceHandle;
let events: string[];
if (target.startsWith('service')) {
  const db = await openStore(target === 'service' ? 'redis' : 'postgres', tmp, plan.redisUrl);
  const admin = randomBytes(24).toString('base64url');
  handle = await startService({
    env: { ...db.env, ...sharedLimits(plan), ADMIN_TOKEN: admin },
    instances: 1,
    logFile: join(tmp, 'service.log'),
    profileDir,
  });
  events = await mapLimit(
    Array.from({ length: plan.steadyEvents }, (_, i) => i),
    4,
    (i) => createEvent(handle.origin, admin, `Drive ${i + 1}`, seats),
  );
  stop = () => handle.stop().finally(() => db.drop());
} else {
  const floor = await startFloor(target as FloorName, plan, tmp, benchNodeArgs(profileDir));
  ({ handle, events } = floor);
  stop = () => floor.stop();
}

try {
  const params = {
    ...lockOnlyParams(plan, handle.origin, events, 64),
    seconds,
    warmupSeconds: 2,
    sessions,
    ...(rate > 0 && { ratePerSec: rate }),
  };
  const { result, cpu } = await measureWindow(handle, (mark) =>
    runJob<LockOnlyResult>({ kind: 'lock-only', params }, mark),
  );
  if (!result.endpoints.lock)
    throw new Error(
      'nothing measured: the seats or sessions ran out in the warm-up (raise --seats or --sessions)',
    );
  const perSec = lockRate(result);
  const ms = (share: number) => cpuMsPer(share, perSec)?.toFixed(3) ?? '–';
  process.stdout.write(
    `${target}${rate > 0 ? ` at ${rate}/s` : ''}: ${perSec.toFixed(0)} locks/s over ${result.durationS.toFixed(1)} s` +
      `${result.ranOut ? ' (ran out of seats or sessions)' : ''}, ${result.conflicts} conflicts, ` +
      `p50 ${result.endpoints.lock?.p50Ms} ms, p99 ${result.endpoints.lock?.p99Ms} ms; CPU per lock: ` +
      `process ${ms(cpu.service)} ms (${(cpu.service * 100).toFixed(0)} % of a core), ` +
      `PostgreSQL ${ms(cpu.postgres)}, Redis ${ms(cpu.redis)}, load generator ${ms(cpu.generator)}` +
      `${profileDir ? `; profile in ${profileDir}` : ''}\n`,
  );
} finally {
  await stop();
  // With extra Node options (BENCH_NODE_ARGS, e.g. --trace-gc) the target's log is what was asked for.
  if (process.env.BENCH_NODE_ARGS) process.stdout.write(`logs kept in ${tmp}\n`);
  else rmSync(tmp, { recursive: true, force: true });
}
