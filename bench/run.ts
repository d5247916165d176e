/**
 * `npm run bench [-- --quick] [--profile] [--runs N] [--stores …]`: the on-sale benchmark. Starts the
 * production build on loopback for each store, drives it from a separate load-generator process, checks
 * the sale's invariants in the database afterwards, and measures in the same run what it is compared
 * with: the floor routes (a minimal correct lock on PostgreSQL and on Redis), pgbench running the pg
 * floor's one statement (the database's own ceiling) and a bare Fastify route. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BareParams, MapResult, MapVariant, RateResult } from './scenarios/reads.js';
import { lockRate, type LockOnlyResult } from './scenarios/lock-only.js';
import type { RushResult } from './scenarios/rush.js';
import type { SteadyResult } from './scenarios/steady.js';
import { measureWindow, waitQuiet } from './lib/cpu.js';
import { machineFacts } from './lib/machine.js';
import { dropScratchDb } from './lib/pg.js';
import { measureFloors, type FloorResult } from './lib/floors.js';
import { findPgbench, preparePgbenchDb, runPgbench, type PgbenchResult } from './lib/pgbench.js';
import {
  holdsInRedis,
  lockOnlyParams,
  pacedParams,
  parseArgs,
  redisModeExists,
  sharedLimits,
  type Plan,
  type ScenarioName,
  type StoreName,
} from './lib/plan.js';
import { runJob, startBare, startService, type ServiceHandle } from './lib/procs.js';
import { summarizeProfiles } from './lib/profile.js';
import { medianRows, printTable, writeReports } from './lib/report.js';
import type { Row } from './lib/row.js';
import { addPostgresRatios, buildRows, type StoreFigures } from './lib/rows.js';
import { createBenchEvents } from './lib/setup.js';
import { openStore } from './lib/stores.js';
import { runInstructions } from './instructions.js';

const started = Date.now();
const log = (msg: string) =>
  process.stderr.write(`${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s ${msg}\n`);
const RESULTS = resolve('bench/results');

export interface Ceilings {
  pgbench: Map<string, PgbenchResult>;
  bare: Map<number, RateResult>;
  floors: FloorResult[];
  notes: string[];
}

export const ceilingKey = (kind: 'rush' | 'steady', connections: number) => `${kind}@${connections}`;

async function measureCeilings(plan: Plan, tmp: string): Promise<Ceilings> {
  const out: Ceilings = { pgbench: new Map(), bare: new Map(), floors: [], notes: [] };
  if (plan.skipCeilings) {
    out.notes.push('--skip-ceilings: no pgbench, bare Fastify or floor runs, so no ratios');
    return out;
  }
  const levels = [...new Set([plan.rushConnections, ...plan.steadyConnections])];

  const bare = await startBare(join(tmp, 'bare.log'));
  try {
    for (const connections of levels) {
      const params: BareParams = {
        origin: bare.origin,
        connections,
        seconds: plan.bareSeconds,
        warmupSeconds: plan.quick ? 0.5 : 1,
      };
      const r = await runJob<RateResult>({ kind: 'bare', params });
      out.bare.set(connections, r);
      log(
        `  bare Fastify @${connections}: ${r.perSec.toFixed(0)} req/s (generator CPU ${pct(r.generatorCpu.share)})`,
      );
    }
  } finally {
    await bare.stop();
  }

  await measurePgbench(plan, tmp, out);
  // Last, and only for the lock-only comparison: the floor routes, driven as the service is.
  if (plan.scenarios.includes('lock-only')) out.floors = await measureFloors(plan, tmp, log);
  return out;
}

/** pgbench running the pg floor's one lock statement: the database's own ceiling. */
async function measurePgbench(plan: Plan, tmp: string, out: Ceilings): Promise<void> {
  const bin = findPgbench();
  if (!bin) {
    out.notes.push('pgbench not found (apt-get install postgresql-client-15): no database ceiling');
    log(`  ${out.notes.at(-1)}`);
    return;
  }
  const shape = {
    rushSeats: plan.rushSeats,
    steadyEvents: plan.steadyEvents,
    steadySeatsPerEvent: plan.steadySeatsPerEvent,
    lockTtlSeconds: plan.lockTtlSeconds,
  };
  const db = await preparePgbenchDb(shape);
  try {
    const jobs: ['rush' | 'steady', number][] = [
      ['rush', plan.rushConnections],
      ...plan.steadyConnections.map((c): ['steady', number] => ['steady', c]),
    ];
    for (const [kind, clients] of jobs) {
      const r = await runPgbench({
        bin,
        db,
        scriptDir: tmp,
        kind,
        shape,
        clients,
        seconds: plan.pgbenchSeconds,
      });
      out.pgbench.set(ceilingKey(kind, clients), r);
      const capped = r.cappedFrom
        ? ` (capped from ${r.cappedFrom} by max_connections and other clients)`
        : '';
      log(
        `  pgbench, the floor's lock statement on the ${kind} data @${r.clients}${capped}: ${r.tps.toFixed(0)} tps, avg ${r.latencyAvgMs} ms`,
      );
    }
  } finally {
    await dropScratchDb(db);
  }
}

async function runStore(plan: Plan, store: StoreName, tmp: string, runTag: string) {
  const db = await openStore(store, tmp, plan.redisUrl);
  const admin = randomBytes(24).toString('base64url');
  const profileDir = plan.profile ? join(RESULTS, 'profiles', `${runTag}-${store}`) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  let svc: ServiceHandle | null = null;
  const fig: StoreFigures = { store, instances: db.instances, maps: [], steady: [], lockOnly: [], notes: [] };
  const acknowledged: string[] = [];
  try {
    svc = await startService({
      env: { ...db.env, ...sharedLimits(plan), ADMIN_TOKEN: admin },
      instances: db.instances,
      logFile: join(tmp, `service-${store}.log`),
      profileDir,
    });
    const origin = svc.origin;
    const events = await createBenchEvents(origin, admin, {
      ...plan,
      bestEvents: plan.scenarios.includes('best') ? plan.bestEvents : 0,
    });

    const want = (s: ScenarioName) => plan.scenarios.includes(s);
    // The seat map alone: plain on one connection, then revalidated and compressed on several.
    const mapJobs: [MapVariant, number][] = [
      ['plain', 1],
      ['revalidated', plan.mapConnections],
      ['compressed', plan.mapConnections],
    ];
    for (const [variant, connections] of want('map') ? mapJobs : []) {
      const m = await measureWindow(svc, (mark) =>
        runJob<MapResult>(
          {
            kind: 'map',
            params: { origin, eventId: events.map, connections, seconds: plan.mapSeconds, variant },
          },
          mark,
        ),
      );
      fig.maps.push({ connections, ...m });
      const r = m.result;
      log(
        `  [${store}] seat map of ${plan.mapSeats} seats, ${variant} @${connections}: ${r.perSec.toFixed(0)} maps/s, ` +
          `p50 ${r.endpoints.seats?.p50Ms} ms` +
          (variant === 'revalidated' ? `, ${r.notModified}/${r.requests} answered 304` : '') +
          (variant === 'compressed'
            ? `, ${r.compressedBytes ?? '?'} bytes ${r.encoding ?? 'not compressed'}`
            : ''),
      );
    }

    if (want('rush'))
      fig.rush = await measureWindow(svc, (mark) =>
        runJob<RushResult>(
          {
            kind: 'rush',
            params: {
              origin,
              eventId: events.rush,
              totalSeats: plan.rushSeats,
              sessions: plan.rushSessions,
              connections: plan.rushConnections,
              maxSeconds: plan.rushMaxSeconds,
              confirmShare: 0.7,
              readerEventId: events.map,
            },
          },
          mark,
        ),
      );
    if (fig.rush) {
      const r = fig.rush.result;
      acknowledged.push(...r.confirmedSeatIds);
      log(
        `  [${store}] rush: ${r.soldSeats}/${plan.rushSeats} seats sold in ${r.durationS.toFixed(1)} s, ` +
          `${(r.lockAttempts / r.durationS).toFixed(0)} lock attempts/s, conflicts ${pct(r.conflicts / Math.max(1, r.lockAttempts))}`,
      );
    }

    for (const connections of want('steady') ? plan.steadyConnections : []) {
      const s = await measureWindow(svc, (mark) =>
        runJob<SteadyResult>(
          {
            kind: 'steady',
            params: {
              origin,
              eventIds: events.steady,
              connections,
              seconds: plan.steadySeconds,
              warmupSeconds: plan.steadyWarmupSeconds,
            },
          },
          mark,
        ),
      );
      fig.steady.push({ connections, ...s });
      acknowledged.push(...s.result.confirmedSeatIds);
      log(
        `  [${store}] steady @${connections}: ${(s.result.locksOk / s.result.durationS).toFixed(0)} locks/s, ` +
          `lock p99 ${s.result.endpoints.lock?.p99Ms} ms`,
      );
    }

    // Last: its holds stay until their TTL, and would take seats from the scenarios above.
    for (const connections of want('lock-only') ? plan.lockOnlyConnections : []) {
      const s = await measureWindow(svc, (mark) =>
        runJob<LockOnlyResult>(
          { kind: 'lock-only', params: lockOnlyParams(plan, origin, events.steady, connections) },
          mark,
        ),
      );
      fig.lockOnly.push({ connections, paced: false, ...s });
      log(
        `  [${store}] lock-only @${connections}: ${lockRate(s.result).toFixed(0)} locks/s, ` +
          `lock p99 ${s.result.endpoints.lock?.p99Ms} ms`,
      );
    }

    // The same at 64 connections, paced to half the rate just reached: latency without the queue.
    const closed = fig.lockOnly.find((x) => x.connections === 64);
    if (closed) {
      const rate = 0.5 * lockRate(closed.result);
      const s = await measureWindow(svc, (mark) =>
        runJob<LockOnlyResult>(
          { kind: 'lock-only', params: pacedParams(plan, origin, events.steady, rate) },
          mark,
        ),
      );
      fig.lockOnly.push({ connections: 64, paced: true, ...s });
      log(
        `  [${store}] lock-paced @64 (${rate.toFixed(0)}/s): lock p50 ${s.result.endpoints.lock?.p50Ms} ms, p99 ${s.result.endpoints.lock?.p99Ms} ms`,
      );
    }

    // Best available next to an ordinary lock on events of the same size (100 rows × 100 seats), each
    // on events of its own so that neither takes the other's seats.
    for (const variant of want('best') ? (['ordinary', 'best'] as const) : []) {
      const ids = variant === 'best' ? events.best : events.ordinary;
      const s = await measureWindow(svc, (mark) =>
        runJob<LockOnlyResult>(
          {
            kind: 'lock-only',
            params: {
              ...lockOnlyParams(plan, origin, ids, 64),
              sessions: plan.quick ? 10_000 : 20_000,
              best: variant === 'best',
            },
          },
          mark,
        ),
      );
      fig.lockOnly.push({ connections: 64, paced: false, variant, ...s });
      log(
        `  [${store}] ${variant === 'best' ? 'best available' : 'ordinary lock'} on 10,000-seat events @64: ` +
          `${lockRate(s.result).toFixed(0)} locks/s, lock p50 ${s.result.endpoints.lock?.p50Ms} ms`,
      );
    }
  } finally {
    const code = await svc?.stop();
    if (code !== undefined && code !== 0 && code !== null) fig.notes.push(`the service exited with ${code}`);
  }
  try {
    fig.invariants = await db.check(acknowledged);
    const inv = fig.invariants;
    log(
      `  [${store}] invariants: ${inv.violations === 0 ? 'OK' : `${inv.violations} VIOLATED: ${inv.failures.join('; ')}`}` +
        ` (${inv.soldSeats} seats sold, ${inv.paidOrders} paid orders)`,
    );
  } finally {
    await db.drop();
  }
  if (profileDir) fig.profile = summarizeProfiles(profileDir);
  return fig;
}

async function quiet(plan: Plan) {
  if (!plan.waitQuiet) return;
  const q = await waitQuiet(0.25, 60);
  log(`  machine ${pct(q.busy)} busy after waiting ${q.waitedS.toFixed(0)} s for it to be quiet`);
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

async function oneRun(plan: Plan, runNo: number) {
  const runTag = `${new Date().toISOString().replace(/[:.]/g, '-')}-r${runNo}`;
  const tmp = mkdtempSync(join(tmpdir(), 'seat-bench-'));
  try {
    await quiet(plan);
    log(`run ${runNo}/${plan.runs}: ceilings`);
    const ceilings = await measureCeilings(plan, tmp);
    const rows: Row[] = [];
    const profiles: Record<string, unknown> = {};
    const notes = [...ceilings.notes];
    for (const store of plan.stores) {
      if (holdsInRedis(store) && !redisModeExists()) {
        notes.push(
          `${store}: skipped — the service has no Redis holds mode yet (no src/infra/redis wired to REDIS_URL)`,
        );
        log(`  ${notes.at(-1)}`);
        continue;
      }
      await quiet(plan);
      log(`run ${runNo}/${plan.runs}: ${store}`);
      const fig = await runStore(plan, store, tmp, runTag);
      rows.push(...buildRows(plan, fig, ceilings));
      if (fig.profile) profiles[store] = fig.profile;
    }
    addPostgresRatios(rows);
    return { rows, notes, profiles, floors: ceilings.floors };
  } finally {
    // With extra Node options (BENCH_NODE_ARGS, e.g. --trace-gc) the service logs are what was asked for.
    if (process.env.BENCH_NODE_ARGS) log(`service logs kept in ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

async function main() {
  if (!existsSync('dist/main.js')) throw new Error('dist/main.js is missing: run `npm run build` first');
  if (process.argv.includes('--instructions')) return runInstructions(process.argv.slice(2));
  const plan = parseArgs(process.argv.slice(2));
  const machine = await machineFacts();
  log(
    `seat reservation bench${plan.quick ? ' (--quick)' : ''} on ${machine.cpu} × ${machine.cores}, node ${machine.node}, PostgreSQL ${machine.postgres}`,
  );
  const runs = [];
  for (let i = 1; i <= plan.runs; i++) runs.push(await oneRun(plan, i));
  const rows = plan.runs > 1 ? medianRows(runs.map((r) => r.rows)) : (runs[0]?.rows ?? []);
  const notes = [...new Set(runs.flatMap((r) => r.notes))];
  // The floors' own figures, each run's (the rows carry their medians as floorPerSec).
  const floors = runs.flatMap((r, i) => r.floors.map((f) => ({ run: i + 1, ...f })));
  const files = writeReports(RESULTS, { machine, plan, rows, notes, floors, runs });
  printTable(machine, plan, rows, notes, floors);
  for (const [store, profile] of Object.entries(runs.at(-1)?.profiles ?? {})) {
    log(`\nprofile (${store}): top self time\n${String((profile as { text: string }).text)}`);
  }
  log(`\nwrote ${files.join(', ')}`);
  const violations = rows.reduce((n, r) => n + r.violations, 0);
  if (violations > 0) {
    log(`FAILED: ${violations} invariant violation(s)`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
