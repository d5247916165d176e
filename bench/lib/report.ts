import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { floorOf, type FloorResult } from './floors.js';
import type { Machine } from './machine.js';
import type { Plan } from './plan.js';
import type { Row } from './row.js';
import { median } from './stats.js';
import { barChart, type Group } from './svg.js';

const key = (r: Row) => `${r.scenario}|${r.store}|${r.connections}`;

/** Several runs into one: every number the median of the runs, violations added up. */
export function medianRows(runs: Row[][]): Row[] {
  const first = runs[0] ?? [];
  return first.map((row) => {
    const same = runs.map((rs) => rs.find((r) => key(r) === key(row))).filter((r): r is Row => !!r);
    const out: Record<string, unknown> = { ...row };
    for (const [k, v] of Object.entries(row)) {
      if (typeof v === 'number' && k !== 'connections' && k !== 'instances') {
        out[k] = median(same.map((r) => (r as unknown as Record<string, number>)[k] ?? NaN));
      }
    }
    const nested = <K extends 'cpu' | 'cpuMsPerRequest'>(k: K): Row[K] => {
      const keys = Object.keys(row[k]) as (keyof Row[K])[];
      const med = (sub: keyof Row[K]) =>
        median(
          same.map((r) => {
            const v = r[k][sub];
            return typeof v === 'number' ? v : NaN;
          }),
        );
      return Object.fromEntries(keys.map((sub) => [sub, med(sub)])) as Row[K];
    };
    return {
      ...(out as unknown as Row),
      cpu: nested('cpu'),
      cpuMsPerRequest: nested('cpuMsPerRequest'),
      violations: same.reduce((n, r) => n + r.violations, 0),
      notes: [...new Set(same.flatMap((r) => r.notes))],
    };
  });
}

export interface Target {
  what: string;
  measured: string;
  met: boolean | null;
}

const fmt = (v: number | null | undefined, d = 0) => (v === null || v === undefined ? '–' : v.toFixed(d));
const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : `${(v * 100).toFixed(0)}%`;
const isLock = (r: Row) =>
  r.scenario === 'steady' ||
  r.scenario === 'rush' ||
  r.scenario === 'lock-only' ||
  r.scenario === 'lock-paced' ||
  r.scenario === 'best-10k' ||
  r.scenario === 'lock-10k';
const label = (r: Row) => (isLock(r) || r.connections > 1 ? `${r.scenario}@${r.connections}` : r.scenario);
const kb = (bytes: number | null | undefined) =>
  bytes === null || bytes === undefined ? '–' : (bytes / 1024).toFixed(0);

/** The issue's targets, judged on this run's rows. */
export function targets(rows: Row[]): Target[] {
  const out: Target[] = [];
  const find = (scenario: string, store: string, c?: number) =>
    rows.find(
      (r) => r.scenario === scenario && r.store === store && (c === undefined || r.connections === c),
    );
  const notMeasured = (what: string) => out.push({ what, measured: 'not measured in this run', met: null });

  // The service's lock against the floor route of its store, same load, same run.
  const floorTargets: [string, number, boolean][] = [
    ['postgres', 0.8, true],
    ['postgres-2x', 0.8, false],
    ['redis', 0.6, true],
    ['redis-2x', 0.6, false],
  ];
  for (const [store, min, judged] of floorTargets) {
    const r = find('lock-only', store, 64);
    const what =
      `${store} lock-only@64: lock/s ≥ ${min} × the ${floorOf(store)} floor route` +
      (judged ? '' : ' (shown, not judged: two instances on two cores)');
    if (r?.floorRatio === null || r?.floorRatio === undefined) {
      if (judged) notMeasured(what);
      continue;
    }
    out.push({
      what,
      measured: `${fmt(r.lockPerSec)} / ${fmt(r.floorPerSec)} = ${r.floorRatio.toFixed(2)}`,
      met: judged ? r.floorRatio >= min : null,
    });
  }
  const slots = find('lock-only', 'redis', 64);
  if (slots?.slotsFloorRatio !== null && slots?.slotsFloorRatio !== undefined)
    out.push({
      what: 'redis lock-only@64 ÷ the redis-slots floor (as a Redis Cluster needs: two scripts per lock; shown, not judged)',
      measured: `${fmt(slots.lockPerSec)} / ${fmt(slots.slotsFloorPerSec)} = ${slots.slotsFloorRatio.toFixed(2)}`,
      met: null,
    });
  for (const store of ['postgres', 'redis']) {
    const r = find('lock-only', store, 64);
    if (r?.rulesFloorRatio === null || r?.rulesFloorRatio === undefined) continue;
    out.push({
      what: `${store} lock-only@64 ÷ the ${floorOf(store)} floor with the contract's rules for every lock (the session's holds in the event found, capped in number and length, all given the deadline and answered; shown, not judged)`,
      measured: `${fmt(r.lockPerSec)} / ${fmt(r.rulesFloorPerSec)} = ${r.rulesFloorRatio.toFixed(2)}`,
      met: null,
    });
  }
  for (const store of ['postgres', 'postgres-2x']) {
    for (const r of rows.filter((x) => x.store === store && isLock(x))) {
      if (r.ratio === null) continue;
      // Only lock-only runs nothing but locks; the others are shown for scale.
      const judged = r.scenario === 'lock-only';
      out.push({
        what: `${store} ${label(r)}: lock/s ≥ 50 % of the database's ceiling (pgbench, the floor's one statement)${judged ? '' : ' (not judged: confirms, cancels and maps share the database)'}`,
        measured: `${fmt(r.lockPerSec)} / ${fmt(r.ceilingPerSec)} = ${pct(r.ratio)}`,
        met: judged ? r.ratio >= 0.5 : null,
      });
    }
  }
  for (const r of rows.filter((x) => x.connections === 64 && isLock(x))) {
    // Closed loops at 64 connections queue (Little's law): only the paced run shows a lock's latency.
    const judged = r.scenario === 'lock-paced';
    out.push({
      what: `${r.store} ${label(r)}: p99 lock ≤ 25 ms${judged ? ' (paced at half the saturated rate)' : ' (closed loop: shown, not judged)'}`,
      measured: `${fmt(r.p99Ms, 1)} ms`,
      met: judged ? r.p99Ms !== null && r.p99Ms <= 25 : null,
    });
  }
  for (const r of rows.filter((x) => x.scenario === 'seat-map')) {
    out.push({
      what: `${r.store}: GET /api/seats of ${r.seats} seats p50 ≤ 15 ms`,
      measured: `${fmt(r.p50Ms, 1)} ms`,
      met: r.p50Ms !== null && r.p50Ms <= 15,
    });
  }
  for (const store of [...new Set(rows.map((r) => r.store))]) {
    const reval = find('seat-map-revalidated', store);
    const comp = find('seat-map-compressed', store);
    if (!reval && !comp) continue;
    const best = Math.max(reval?.readsPerSec ?? 0, comp?.readsPerSec ?? 0);
    out.push({
      what: `${store}: ≥ 1,000 unchanged seat maps/s of ${(reval ?? comp)?.seats} seats at ${(reval ?? comp)?.connections} connections (revalidated or compressed)`,
      measured: `304: ${fmt(reval?.readsPerSec)}/s, compressed: ${fmt(comp?.readsPerSec)}/s`,
      met: best >= 1000,
    });
    if (comp)
      out.push({
        what: `${store}: compressed seat map ≤ 200 KB`,
        measured: comp.compressedBytes
          ? `${kb(comp.compressedBytes)} KB (${comp.encoding})`
          : 'not compressed',
        met: !!comp.compressedBytes && comp.compressedBytes <= 200 * 1024,
      });
    for (const r of [reval, comp].filter((x): x is Row => !!x))
      out.push({
        what: `${store} ${label(r)}: p50 ≤ 5 ms`,
        measured: `${fmt(r.p50Ms, 1)} ms`,
        met: r.p50Ms !== null && r.p50Ms <= 5,
      });
  }
  // Each run's own ratio (the median of them over several runs), not a ratio of medians that may come
  // from different runs.
  const redisVsPostgres = (r: Row, min: number) => {
    const x = r.postgresRatio ?? null;
    out.push({
      what: `redis ${label(r)}: ≥ ${min}× postgres lock/s (each run's own ratio)`,
      measured: x === null ? '–' : `${x.toFixed(2)}×`,
      met: x !== null && x >= min,
    });
  };
  const redis = rows.filter(
    (r) => r.store === 'redis' && isLock(r) && r.scenario !== 'lock-paced' && !r.scenario.endsWith('-10k'),
  );
  if (redis.length === 0) notMeasured('Redis holds ≥ 3× PostgreSQL lock-only@64');
  // The lock itself (lock-only@64) ≥ 3×; whole sales, as before, ≥ 2×.
  for (const r of redis) redisVsPostgres(r, r.scenario === 'lock-only' && r.connections === 64 ? 3 : 2);
  // Best available picks as well as locks: it should cost at most twice an ordinary lock.
  for (const best of rows.filter((r) => r.scenario === 'best-10k')) {
    const plain = find('lock-10k', best.store, best.connections);
    const x = plain?.lockPerSec && best.lockPerSec ? best.lockPerSec / plain.lockPerSec : null;
    out.push({
      what: `${best.store} best-10k@${best.connections}: ≥ 0.5 × an ordinary lock's rate on the same events`,
      measured: x === null ? '–' : `${fmt(best.lockPerSec)} / ${fmt(plain?.lockPerSec)} = ${x.toFixed(2)}`,
      met: x !== null && x >= 0.5,
    });
  }
  const v = rows.reduce((n, r) => n + r.violations, 0);
  out.push({ what: 'zero invariant violations', measured: String(v), met: v === 0 });
  return out;
}

const COLUMNS: [string, (r: Row) => string][] = [
  ['scenario', label],
  ['store', (r) => r.store],
  ['inst', (r) => String(r.instances)],
  ['lock/s', (r) => fmt(r.lockPerSec)],
  ['ok/s', (r) => fmt(r.successfulLocksPerSec)],
  ['confl', (r) => pct(r.conflictRate)],
  ['p50', (r) => fmt(r.p50Ms, 1)],
  ['p95', (r) => fmt(r.p95Ms, 1)],
  ['p99', (r) => fmt(r.p99Ms, 1)],
  [
    'db ceil',
    (r) =>
      r.ceilingPerSec === null
        ? '–'
        : `${fmt(r.ceilingPerSec)}${r.pgbenchClients !== r.connections ? `@${r.pgbenchClients}` : ''}`,
  ],
  ['db ratio', (r) => pct(r.ratio)],
  ['floor', (r) => (r.floor ? `${r.floor} ${fmt(r.floorPerSec)}` : '')],
  ['f.ratio', (r) => (r.floor ? fmt(r.floorRatio, 2) : '')],
  ['req/s', (r) => fmt(r.requestsPerSec)],
  ['bare', (r) => fmt(r.httpCeilingPerSec)],
  ['http', (r) => pct(r.httpRatio)],
  ['sold in', (r) => (r.soldOutSeconds === undefined ? '' : `${fmt(r.soldOutSeconds, 1)} s`)],
  ['body KB', (r) => (r.compressedBytes === undefined ? '' : kb(r.compressedBytes))],
  ['304', (r) => (r.notModifiedShare === undefined ? '' : pct(r.notModifiedShare))],
  ['gen', (r) => pct(r.cpu.generator)],
  ['svc', (r) => pct(r.cpu.service)],
  ['pg', (r) => pct(r.cpu.postgres)],
  ['redis', (r) => pct(r.cpu.redis)],
  ['other', (r) => pct(r.cpu.other)],
  ['svc ms/req', (r) => fmt(r.cpuMsPerRequest.service, 2)],
  ['pg ms/req', (r) => fmt(r.cpuMsPerRequest.postgres, 2)],
  ['redis ms/req', (r) => fmt(r.cpuMsPerRequest.redis, 2)],
  ['pgbench pg ms', (r) => fmt(r.cpuMsPerRequest.pgbenchPostgres, 2)],
  ['WAL KB/req', (r) => fmt(r.walKBPerRequest, 1)],
  ['busy', (r) => pct(r.cpu.machineBusy)],
  ['viol', (r) => String(r.violations)],
];

export type FloorFigures = FloorResult & { run: number };

const floorLine = (f: FloorFigures, runs: number) =>
  `${f.floor} floor ${f.pacedPerSec ? `paced @${f.connections} (${fmt(f.pacedPerSec)}/s)` : `@${f.connections}`}` +
  `${runs > 1 ? ` (run ${f.run})` : ''}: ${fmt(f.perSec)} locks/s, ` +
  `p50 ${fmt(f.p50Ms, 1)} ms, p99 ${fmt(f.p99Ms, 1)} ms; CPU per lock: floor ${fmt(f.cpuMsPerLock.floor, 2)} ms, ` +
  `PostgreSQL ${fmt(f.cpuMsPerLock.postgres, 2)} ms, Redis ${fmt(f.cpuMsPerLock.redis, 2)} ms; WAL ${fmt(f.walKBPerLock, 1)} KB per lock; other ${pct(f.cpu.other)}` +
  (f.notes.length > 0 ? ` (${f.notes.join('; ')})` : '');

export function printTable(
  machine: Machine,
  plan: Plan,
  rows: Row[],
  notes: string[],
  floors: FloorFigures[],
): void {
  const out: string[] = [];
  out.push(
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, PostgreSQL ${machine.postgres} (${machine.postgresSettings})`,
    `Mode: ${plan.quick ? '--quick' : 'full'}, ${plan.runs} run(s)${plan.runs > 1 ? ' (medians)' : ''}; rush: ${plan.rushSessions} sessions, ${plan.rushSeats} seats, ${plan.rushConnections} connections${plan.quick ? ' (--quick: smaller than the full 1,000 sessions and 10,000 seats)' : ''}`,
    'Latencies in ms (lock, or GET /api/seats for seat-map rows); CPU as a share of one core (other: processes not ours; busy: of the machine).',
    '',
  );
  const cells = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? '').length)));
  for (const [n, c] of cells.entries()) {
    out.push(c.map((v, i) => (i < 2 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  '));
    if (n === 0) out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  if (floors.length > 0)
    out.push(
      '',
      'Floors (minimal correct lock routes under the same lock-only load; f.ratio = lock/s ÷ floor):',
      ...floors.map((f) => `  ${floorLine(f, plan.runs)}`),
    );
  out.push('', 'Targets:');
  for (const t of targets(rows))
    out.push(`  [${t.met === null ? ' ? ' : t.met ? 'met' : 'MISSED'}] ${t.what}: ${t.measured}`);
  const rowNotes = rows.flatMap((r) => r.notes.map((n) => `${r.store} ${label(r)}: ${n}`));
  if (notes.length + rowNotes.length > 0)
    out.push('', 'Notes:', ...[...notes, ...new Set(rowNotes)].map((n) => `  - ${n}`));
  process.stdout.write(`${out.join('\n')}\n`);
}

const STORE_COLORS: Record<string, string> = {
  pglite: '#8e7cc3',
  postgres: '#3d85c6',
  'postgres-2x': '#0b5394',
  redis: '#cc0000',
  'redis-2x': '#990000',
  'pg floor': '#999999',
  'redis floor': '#e6a0a0',
};
const color = (store: string) => STORE_COLORS[store] ?? '#777';

function charts(rows: Row[]): string[] {
  const stores = [...new Set(rows.map((r) => r.store))];
  const lockRows = rows.filter(isLock);
  const scenarios = [...new Set(lockRows.map(label))];
  const throughput: Group[] = scenarios.map((sc) => {
    const inGroup = lockRows.filter((r) => label(r) === sc);
    const ceiling = inGroup.find((r) => r.ceilingPerSec !== null)?.ceilingPerSec;
    const floors = new Map(
      inGroup.filter((r) => r.floor && r.floorPerSec).map((r) => [r.floor, r.floorPerSec]),
    );
    return {
      label: sc,
      bars: [
        ...stores.map((s) => ({
          label: s,
          value: inGroup.find((r) => r.store === s)?.lockPerSec ?? null,
          color: color(s),
        })),
        ...[...floors].map(([f, v]) => ({
          label: `${f} floor`,
          value: v ?? null,
          color: color(`${f} floor`),
        })),
      ],
      ...(ceiling ? { marker: { value: ceiling, label: 'pgbench' } } : {}),
    };
  });
  const shade = ['#9fc5e8', '#3d85c6', '#073763'];
  const latency = scenarios.map((sc) =>
    barChart({
      title: `Lock latency, ${sc} (ms)`,
      unit: 'ms',
      width: 380,
      groups: stores.map((s) => {
        const r = lockRows.find((x) => x.store === s && label(x) === sc);
        return {
          label: s,
          bars: (['p50Ms', 'p95Ms', 'p99Ms'] as const).map((p, i) => ({
            label: p.replace('Ms', ''),
            value: r?.[p] ?? null,
            color: shade[i] as string,
          })),
        };
      }),
    }),
  );
  const mapGroups: Group[] = stores.map((s) => {
    const alone = rows.find((r) => r.store === s && r.scenario === 'seat-map');
    const busy = rows.find((r) => r.store === s && r.scenario === 'seat-map-during-rush');
    const reval = rows.find((r) => r.store === s && r.scenario === 'seat-map-revalidated');
    const comp = rows.find((r) => r.store === s && r.scenario === 'seat-map-compressed');
    return {
      label: s,
      bars: [
        { label: 'alone p50', value: alone?.p50Ms ?? null, color: '#93c47d' },
        { label: 'alone p99', value: alone?.p99Ms ?? null, color: '#38761d' },
        { label: '304 p50', value: reval?.p50Ms ?? null, color: '#76a5af' },
        { label: 'compressed p50', value: comp?.p50Ms ?? null, color: '#45818e' },
        { label: 'during rush p50', value: busy?.p50Ms ?? null, color: '#f6b26b' },
        { label: 'during rush p99', value: busy?.p99Ms ?? null, color: '#b45f06' },
      ],
    };
  });
  return [
    barChart({
      title: 'Lock requests/s per store and floor route (dashed: pgbench, the floor statement)',
      unit: 'locks/s',
      groups: throughput,
    }),
    ...latency,
    ...(rows.some((r) => r.scenario.startsWith('seat-map'))
      ? [barChart({ title: 'GET /api/seats of a 10,000-seat event (ms)', unit: 'ms', groups: mapGroups })]
      : []),
  ];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Report {
  machine: Machine;
  plan: Plan;
  rows: Row[];
  notes: string[];
  floors: FloorFigures[];
  runs: unknown[];
}

function html(report: Report): string {
  const { machine, plan, rows } = report;
  const head = COLUMNS.map(([h]) => `<th>${esc(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${COLUMNS.map(([, f]) => `<td>${esc(f(r))}</td>`).join('')}</tr>`)
    .join('\n');
  const t = targets(rows)
    .map(
      (x) =>
        `<li class="${x.met === null ? 'na' : x.met ? 'ok' : 'miss'}">${x.met === null ? '?' : x.met ? '✔' : '✘'} ${esc(x.what)}: <b>${esc(x.measured)}</b></li>`,
    )
    .join('\n');
  const notes = [
    ...report.notes,
    ...new Set(rows.flatMap((r) => r.notes.map((n) => `${r.store} ${label(r)}: ${n}`))),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Seat reservation bench</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}
td:nth-child(-n+2),th{text-align:left}th{background:#f4f4f4}
.ok{color:#2e7d32}.miss{color:#c62828}.na{color:#777}.charts{display:flex;flex-wrap:wrap;gap:12px}
small{color:#666}
</style></head><body>
<h1>Seat reservation bench</h1>
<p>${esc(machine.cpu)}, ${machine.cores} cores, ${machine.memoryGiB} GiB · node ${esc(machine.node)} · PostgreSQL ${esc(machine.postgres)} (${esc(machine.postgresSettings)}) · ${esc(machine.date)}<br>
<small>${plan.quick ? '--quick' : 'full'} mode, ${plan.runs} run(s)${plan.runs > 1 ? ', medians' : ''}; rush: ${plan.rushSessions} sessions, ${plan.rushSeats} seats, ${plan.rushConnections} connections; load generator, service and database share the machine.</small></p>
<h2>Targets</h2><ul>${t}</ul>
${report.floors.length ? `<h2>Floors</h2><p><small>Minimal correct lock routes (bench/floor-pg.ts: one SQL statement; bench/floor-redis.ts: one Lua script; redis-slots: the same floor with the session and the seats in separate Redis Cluster slots, two scripts per lock; pg-rules, redis-rules: the floors with the contract's rules for every lock, at 64 connections), each in its own process, under the same lock-only load as the service.</small></p><ul>${report.floors.map((f) => `<li>${esc(floorLine(f, plan.runs))}</li>`).join('')}</ul>` : ''}
<h2>Charts</h2><div class="charts">${charts(rows).join('\n')}</div>
<h2>Figures</h2>
<p><small>lock/s: lock requests answered per second (rush and lock-only: every attempt; steady: successes). Latencies in ms (lock; seat-map rows: GET /api/seats).
db ceil: the database's own ceiling, pgbench tps running the pg floor's one lock statement at the same concurrency (@N: clients capped by max_connections); db ratio = lock/s ÷ db ceil.
floor: locks/s of the floor route of the row's store (pg for postgres and postgres-2x, redis for redis) under the same lock-only load; f.ratio = lock/s ÷ floor.
body KB: the compressed seat map's size; 304: the share of revalidated reads answered 304 Not Modified.
req/s: all service requests per second; bare: a bare Fastify route's req/s at the same connections; http = req/s ÷ bare.
CPU as a share of one core: gen (load generator), svc (service processes), pg (all PostgreSQL processes), other (everything else on the machine: other people's tests); busy: the whole machine. svc/pg ms/req: CPU time per request of the service and of PostgreSQL; pgbench pg ms: PostgreSQL's CPU per pgbench lock transaction. WAL KB/req: the write-ahead log PostgreSQL wrote per request (all of it flushed to disk at commit).</small></p>
<table><tr>${head}</tr>
${body}</table>
${notes.length ? `<h2>Notes</h2><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}

export function writeReports(dir: string, report: Report): string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'latest.json');
  const page = join(dir, 'latest.html');
  const { runs, ...rest } = report;
  writeFileSync(
    json,
    `${JSON.stringify({ ...rest, targets: targets(report.rows), runs: report.plan.runs > 1 ? runs : undefined }, null, 2)}\n`,
  );
  writeFileSync(page, html(report));
  return [json, page];
}
