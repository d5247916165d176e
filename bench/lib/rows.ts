import type { Ceilings } from '../run.js';
import type { MapResult } from '../scenarios/reads.js';
import { lockRate, type LockOnlyResult } from '../scenarios/lock-only.js';
import type { RushResult } from '../scenarios/rush.js';
import type { SteadyResult } from '../scenarios/steady.js';
import { cpuMsPer, walKBPer } from './cpu.js';
import { floorOf } from './floors.js';
import type { InvariantReport } from './invariants.js';
import type { Plan } from './plan.js';
import type { ProfileSummary } from './profile.js';
import type { CpuShares, Row } from './row.js';
import type { LatencySummary } from './stats.js';

interface Measured<T> {
  result: T;
  cpu: CpuShares;
}

/** What one store's run produced, before it is turned into rows. */
export interface StoreFigures {
  store: string;
  instances: number;
  /** The seat map: plain at one connection, then the revalidated and compressed variants. */
  maps: (Measured<MapResult> & { connections: number })[];
  rush?: Measured<RushResult>;
  steady: (Measured<SteadyResult> & { connections: number })[];
  lockOnly: (Measured<LockOnlyResult> & {
    connections: number;
    paced: boolean;
    /** Set for the best-available comparison, on 10,000-seat events in rows. */
    variant?: 'best' | 'ordinary';
  })[];
  invariants?: InvariantReport;
  profile?: ProfileSummary;
  notes: string[];
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const ratio = (a: number | null, b: number | null | undefined) => (a !== null && b ? r2(a / b) : null);
const requests = (e: Record<string, LatencySummary>, skip: string[] = []) =>
  Object.entries(e)
    .filter(([k]) => !skip.includes(k))
    .reduce((n, [, s]) => n + s.count, 0);
const errorsOf = (r: { networkErrors: number; unexpected: string[] }) =>
  r.networkErrors + r.unexpected.length;

const r2OrNull = (x: number | null) => (x === null ? null : r2(x));

const perRequest = (cpu: CpuShares, rps: number, pgbench?: { pgCpuMsPerTxn: number | null }) => ({
  service: r2OrNull(cpuMsPer(cpu.service, rps)),
  postgres: r2OrNull(cpuMsPer(cpu.postgres, rps)),
  redis: r2OrNull(cpuMsPer(cpu.redis, rps)),
  pgbenchPostgres: pgbench?.pgCpuMsPerTxn ? r2(pgbench.pgCpuMsPerTxn) : null,
});

const walPerRequest = (cpu: CpuShares, rps: number) => r2OrNull(walKBPer(cpu, rps));

export function buildRows(plan: Plan, f: StoreFigures, c: Ceilings): Row[] {
  const rows: Row[] = [];
  const violations = f.invariants ? f.invariants.violations : 1;
  const notes = [
    ...f.notes,
    ...(f.invariants?.failures ?? []),
    ...(f.invariants ? [] : ['invariants not checked']),
  ];
  const base = { store: f.store, instances: f.instances, violations, notes };

  for (const m of f.maps) {
    const r = m.result;
    const s = r.endpoints.seats;
    rows.push({
      ...base,
      scenario: r.variant === 'plain' ? 'seat-map' : `seat-map-${r.variant}`,
      connections: m.connections,
      lockPerSec: null,
      p50Ms: s?.p50Ms ?? null,
      p95Ms: s?.p95Ms ?? null,
      p99Ms: s?.p99Ms ?? null,
      ceilingPerSec: null,
      ratio: null,
      seats: plan.mapSeats,
      readsPerSec: r2(r.perSec),
      requestsPerSec: r2(r.perSec),
      httpCeilingPerSec: null,
      httpRatio: null,
      ...(r.variant === 'plain'
        ? {}
        : {
            compressedBytes: r.compressedBytes,
            encoding: r.encoding,
            notModifiedShare: r2(r.notModified / Math.max(1, r.requests)),
          }),
      endpoints: r.endpoints,
      cpu: m.cpu,
      cpuMsPerRequest: perRequest(m.cpu, r.perSec),
      walKBPerRequest: walPerRequest(m.cpu, r.perSec),
      errors: errorsOf(r),
      notes: [...notes, ...r.unexpected],
    });
  }

  if (f.rush) {
    const r = f.rush.result;
    const lock = r.endpoints.lock;
    const attempts = r.lockAttempts / r.durationS;
    const pgb = c.pgbench.get(`rush@${plan.rushConnections}`);
    const bare = c.bare.get(plan.rushConnections);
    const rps = requests(r.endpoints) / r.durationS;
    rows.push({
      ...base,
      scenario: 'rush',
      connections: plan.rushConnections,
      lockPerSec: r2(attempts),
      p50Ms: lock?.p50Ms ?? null,
      p95Ms: lock?.p95Ms ?? null,
      p99Ms: lock?.p99Ms ?? null,
      ceilingPerSec: pgb ? r2(pgb.tps) : null,
      ratio: ratio(attempts, pgb?.tps),
      pgbenchClients: pgb?.clients,
      successfulLocksPerSec: r2(r.locksOk / r.durationS),
      conflictRate: r2(r.conflicts / Math.max(1, r.lockAttempts)),
      soldOutSeconds: r.soldOutSeconds === null ? null : r2(r.soldOutSeconds),
      seats: plan.rushSeats,
      sessions: plan.rushSessions,
      requestsPerSec: r2(rps),
      httpCeilingPerSec: bare ? r2(bare.perSec) : null,
      httpRatio: ratio(rps, bare?.perSec),
      endpoints: r.endpoints,
      cpu: f.rush.cpu,
      cpuMsPerRequest: perRequest(f.rush.cpu, rps, pgb),
      walKBPerRequest: walPerRequest(f.rush.cpu, rps),
      errors: errorsOf(r),
      notes: [
        ...notes,
        ...(r.soldOut
          ? []
          : [`not sold out within ${plan.rushMaxSeconds} s (${r.soldSeats}/${plan.rushSeats})`]),
        ...r.unexpected,
      ],
    });
    if (r.reader) {
      rows.push({
        ...base,
        scenario: 'seat-map-during-rush',
        connections: 1,
        lockPerSec: null,
        p50Ms: r.reader.p50Ms,
        p95Ms: r.reader.p95Ms,
        p99Ms: r.reader.p99Ms,
        ceilingPerSec: null,
        ratio: null,
        seats: plan.mapSeats,
        readsPerSec: r2(r.reader.count / r.durationS),
        requestsPerSec: r2(r.reader.count / r.durationS),
        httpCeilingPerSec: null,
        httpRatio: null,
        endpoints: { 'seats-reader': r.reader },
        cpu: f.rush.cpu,
        cpuMsPerRequest: { service: null, postgres: null, redis: null, pgbenchPostgres: null },
        walKBPerRequest: null,
        errors: 0,
      });
    }
  }

  for (const s of f.steady) {
    const r = s.result;
    const lock = r.endpoints.lock;
    const perSec = r.locksOk / r.durationS;
    const pgb = c.pgbench.get(`steady@${s.connections}`);
    const bare = c.bare.get(s.connections);
    const rps = requests(r.endpoints) / r.durationS;
    rows.push({
      ...base,
      scenario: 'steady',
      connections: s.connections,
      lockPerSec: r2(perSec),
      p50Ms: lock?.p50Ms ?? null,
      p95Ms: lock?.p95Ms ?? null,
      p99Ms: lock?.p99Ms ?? null,
      ceilingPerSec: pgb ? r2(pgb.tps) : null,
      ratio: ratio(perSec, pgb?.tps),
      pgbenchClients: pgb?.clients,
      successfulLocksPerSec: r2(perSec),
      conflictRate: r2(r.conflicts / Math.max(1, r.conflicts + r.locksOk)),
      requestsPerSec: r2(rps),
      httpCeilingPerSec: bare ? r2(bare.perSec) : null,
      httpRatio: ratio(rps, bare?.perSec),
      endpoints: r.endpoints,
      cpu: s.cpu,
      cpuMsPerRequest: perRequest(s.cpu, rps, pgb),
      walKBPerRequest: walPerRequest(s.cpu, rps),
      errors: errorsOf(r),
      notes: [...notes, ...(r.ranOutOfSeats ? ['ran out of seats before the end'] : []), ...r.unexpected],
    });
  }
  const floor = floorOf(f.store);
  for (const s of f.lockOnly) {
    const r = s.result;
    const lock = r.endpoints.lock;
    const perSec = lockRate(r);
    const bare = c.bare.get(s.connections);
    // Paced runs and the best-available pair are judged on their own, not against floors or pgbench.
    const alone = s.paced || s.variant !== undefined;
    const pgb = alone ? undefined : c.pgbench.get(`steady@${s.connections}`);
    const floorAt = (name: string) =>
      alone
        ? undefined
        : c.floors.find((x) => x.floor === name && x.connections === s.connections && !x.pacedPerSec);
    const fl = floor ? floorAt(floor) : undefined;
    const slots = floor === 'redis' ? floorAt('redis-slots') : undefined;
    const rules = floor ? floorAt(`${floor}-rules`) : undefined;
    rows.push({
      ...base,
      scenario:
        s.variant === 'best' ? 'best-10k' : s.variant ? 'lock-10k' : s.paced ? 'lock-paced' : 'lock-only',
      connections: s.connections,
      lockPerSec: r2(perSec),
      p50Ms: lock?.p50Ms ?? null,
      p95Ms: lock?.p95Ms ?? null,
      p99Ms: lock?.p99Ms ?? null,
      ceilingPerSec: pgb ? r2(pgb.tps) : null,
      ratio: pgb ? ratio(perSec, pgb.tps) : null,
      pgbenchClients: pgb?.clients,
      ...(floor && !alone
        ? { floor, floorPerSec: fl ? r2(fl.perSec) : null, floorRatio: ratio(perSec, fl?.perSec) }
        : {}),
      ...(slots && { slotsFloorPerSec: r2(slots.perSec), slotsFloorRatio: ratio(perSec, slots.perSec) }),
      ...(rules && { rulesFloorPerSec: r2(rules.perSec), rulesFloorRatio: ratio(perSec, rules.perSec) }),
      successfulLocksPerSec: r2(r.locksOk / r.durationS),
      conflictRate: r2(r.conflicts / Math.max(1, r.conflicts + r.locksOk)),
      requestsPerSec: r2(perSec),
      httpCeilingPerSec: bare ? r2(bare.perSec) : null,
      httpRatio: alone ? null : ratio(perSec, bare?.perSec),
      endpoints: r.endpoints,
      cpu: s.cpu,
      cpuMsPerRequest: perRequest(s.cpu, perSec, pgb),
      walKBPerRequest: walPerRequest(s.cpu, perSec),
      errors: errorsOf(r),
      notes: [
        ...notes,
        ...(r.ranOut ? ['ran out of sessions or seats before the end'] : []),
        ...r.unexpected,
      ],
    });
  }
  return rows;
}

/** Sets `postgresRatio` on one run's Redis rows: each against the postgres row of the same run. */
export function addPostgresRatios(rows: Row[]): void {
  for (const r of rows) {
    if (r.store !== 'redis') continue;
    const pg = rows.find(
      (x) => x.store === 'postgres' && x.scenario === r.scenario && x.connections === r.connections,
    );
    r.postgresRatio = pg?.lockPerSec && r.lockPerSec ? r.lockPerSec / pg.lockPerSec : null;
  }
}
