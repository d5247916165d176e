import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  r.scenario === 'lock-paced';
const label = (r: Row) => (isLock(r) ? `${r.scenario}@${r.connections}` : r.scenario);

/** The issue's targets, judged on this run's rows. */
export function targets(rows: Row[]): Target[] {
  const out: Target[] = [];
  const find = (scenario: string, store: string, c?: number) =>
    rows.find(
      (r) => r.scenario === scenario && r.store === store && (c === undefined || r.connections === c),
    );
  for (const store of ['postgres', 'postgres-2x']) {
    for (const r of rows.filter((x) => x.store === store && isLock(x))) {
      if (r.ratio === null) continue;
      // Only lock-only runs the same SQL as pgbench and nothing else; the others are shown for scale.
      const judged = r.scenario === 'lock-only';
      out.push({
        what: `${store} ${label(r)}: lock/s ≥ 50 % of pgbench tps${judged ? '' : ' (not judged: confirms, cancels and maps share the database)'}`,
        measured: `${fmt(r.lockPerSec)} / ${fmt(r.ceilingPerSec)} = ${pct(r.ratio)}`,
        met: judged ? r.ratio >= 0.5 : null,
      });
    }
  }
  for (const r of rows.filter((x) => x.connections === 64 && isLock(x))) {
    out.push({
      what: `${r.store} ${label(r)}: p99 lock ≤ 25 ms`,
      measured: `${fmt(r.p99Ms, 1)} ms`,
      met: r.p99Ms !== null && r.p99Ms <= 25,
    });
  }
  for (const r of rows.filter((x) => x.scenario === 'seat-map')) {
    out.push({
      what: `${r.store}: GET /api/seats of ${r.seats} seats p50 ≤ 15 ms`,
      measured: `${fmt(r.p50Ms, 1)} ms`,
      met: r.p50Ms !== null && r.p50Ms <= 15,
    });
  }
  const redis = rows.filter((r) => r.store === 'redis' && isLock(r) && r.scenario !== 'lock-paced');
  if (redis.length === 0)
    out.push({
      what: 'Redis holds ≥ 2× PostgreSQL lock/s',
      measured: 'not measured in this run',
      met: null,
    });
  for (const r of redis) {
    const pg = find(r.scenario, 'postgres', r.connections);
    const x = pg?.lockPerSec && r.lockPerSec ? r.lockPerSec / pg.lockPerSec : null;
    out.push({
      what: `redis ${label(r)}: ≥ 2× postgres lock/s`,
      measured: x === null ? '–' : `${x.toFixed(2)}×`,
      met: x !== null && x >= 2,
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
    'pgbench',
    (r) =>
      r.ceilingPerSec === null
        ? '–'
        : `${fmt(r.ceilingPerSec)}${r.pgbenchClients !== r.connections ? `@${r.pgbenchClients}` : ''}`,
  ],
  ['ratio', (r) => pct(r.ratio)],
  ['req/s', (r) => fmt(r.requestsPerSec)],
  ['bare', (r) => fmt(r.httpCeilingPerSec)],
  ['http', (r) => pct(r.httpRatio)],
  ['sold in', (r) => (r.soldOutSeconds === undefined ? '' : `${fmt(r.soldOutSeconds, 1)} s`)],
  ['gen', (r) => pct(r.cpu.generator)],
  ['svc', (r) => pct(r.cpu.service)],
  ['pg', (r) => pct(r.cpu.postgres)],
  ['other', (r) => pct(r.cpu.other)],
  ['svc ms/req', (r) => fmt(r.cpuMsPerRequest.service, 2)],
  ['pg ms/req', (r) => fmt(r.cpuMsPerRequest.postgres, 2)],
  ['pgbench pg ms', (r) => fmt(r.cpuMsPerRequest.pgbenchPostgres, 2)],
  ['busy', (r) => pct(r.cpu.machineBusy)],
  ['viol', (r) => String(r.violations)],
];

export function printTable(machine: Machine, plan: Plan, rows: Row[], notes: string[]): void {
  const out: string[] = [];
  out.push(
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, PostgreSQL ${machine.postgres}`,
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
};
const color = (store: string) => STORE_COLORS[store] ?? '#777';

function charts(rows: Row[]): string[] {
  const stores = [...new Set(rows.map((r) => r.store))];
  const lockRows = rows.filter(isLock);
  const scenarios = [...new Set(lockRows.map(label))];
  const throughput: Group[] = scenarios.map((sc) => {
    const inGroup = lockRows.filter((r) => label(r) === sc);
    const ceiling = inGroup.find((r) => r.ceilingPerSec !== null)?.ceilingPerSec;
    return {
      label: sc,
      bars: stores.map((s) => ({
        label: s,
        value: inGroup.find((r) => r.store === s)?.lockPerSec ?? null,
        color: color(s),
      })),
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
    return {
      label: s,
      bars: [
        { label: 'alone p50', value: alone?.p50Ms ?? null, color: '#93c47d' },
        { label: 'alone p99', value: alone?.p99Ms ?? null, color: '#38761d' },
        { label: 'during rush p50', value: busy?.p50Ms ?? null, color: '#f6b26b' },
        { label: 'during rush p99', value: busy?.p99Ms ?? null, color: '#b45f06' },
      ],
    };
  });
  return [
    barChart({
      title: 'Lock requests/s per store (dashed: pgbench tps)',
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

function html(report: { machine: Machine; plan: Plan; rows: Row[]; notes: string[] }): string {
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
<p>${esc(machine.cpu)}, ${machine.cores} cores, ${machine.memoryGiB} GiB · node ${esc(machine.node)} · PostgreSQL ${esc(machine.postgres)} · ${esc(machine.date)}<br>
<small>${plan.quick ? '--quick' : 'full'} mode, ${plan.runs} run(s)${plan.runs > 1 ? ', medians' : ''}; rush: ${plan.rushSessions} sessions, ${plan.rushSeats} seats, ${plan.rushConnections} connections; load generator, service and database share the machine.</small></p>
<h2>Targets</h2><ul>${t}</ul>
<h2>Charts</h2><div class="charts">${charts(rows).join('\n')}</div>
<h2>Figures</h2>
<p><small>lock/s: lock requests answered per second (rush and lock-only: every attempt; steady: successes). Latencies in ms (lock; seat-map rows: GET /api/seats).
pgbench: tps of the service's lock SQL at the same concurrency (@N: clients capped by max_connections). ratio = lock/s ÷ pgbench.
req/s: all service requests per second; bare: a bare Fastify route's req/s at the same connections; http = req/s ÷ bare.
CPU as a share of one core: gen (load generator), svc (service processes), pg (all PostgreSQL processes), other (everything else on the machine: other people's tests); busy: the whole machine. svc/pg ms/req: CPU time per request of the service and of PostgreSQL; pgbench pg ms: PostgreSQL's CPU per pgbench lock transaction.</small></p>
<table><tr>${head}</tr>
${body}</table>
${notes.length ? `<h2>Notes</h2><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}

export function writeReports(
  dir: string,
  report: { machine: Machine; plan: Plan; rows: Row[]; notes: string[]; runs: unknown[] },
): string[] {
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
