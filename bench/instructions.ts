/**
 * `npm run bench -- --instructions [--stores postgres,redis]`: the CPU instructions a lock costs the
 * process that serves it, counted by valgrind's callgrind, for the service and its floor routes in the
 * same run. Unlike locks per second, the count does not move with what else the machine is doing (it
 * varies by a few per cent from run to run: JIT and garbage-collection timing), so a change on the hot
 * path shows in one run. It counts user-space instructions of the serving process only: not the kernel's
 * socket work, not PostgreSQL's or Redis's own.
 *
 * Each process runs under callgrind with counting off; after its events and sessions are made and
 * WARM locks have let V8 compile the hot path, counting is turned on (callgrind_control) for N locks
 * (1-4 seats of a fresh session each, 16 connections, every lock a success), then off again.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient, mapLimit } from './lib/client.js';
import { machineFacts } from './lib/machine.js';
import { createScratchDb, dbUrl, dropScratchDb } from './lib/pg.js';
import { createEvent } from './lib/setup.js';
import { parseArgs, sharedLimits } from './lib/plan.js';
import { freePort, serviceEnv, stopChild } from './lib/procs.js';
import { dropRedisKeys } from './lib/redis-keys.js';

const WARM = 6000;
const N = 1500;
const CONNECTIONS = 16;
const EVENTS = 40;
const SEATS = 1000;
const ADMIN = 'bench-admin-token-0123456789';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Target = {
  name: string;
  store: 'postgres' | 'redis';
  script: string | null;
  env: Record<string, string>;
};

const targets = (stores: string[]): Target[] =>
  stores.flatMap((store): Target[] =>
    store === 'postgres'
      ? [
          { name: 'service (PostgreSQL)', store, script: null, env: {} },
          { name: 'pg floor', store, script: 'bench/floor-pg.ts', env: {} },
        ]
      : [
          { name: 'service (Redis holds)', store: 'redis', script: null, env: {} },
          { name: 'redis floor', store: 'redis', script: 'bench/floor-redis.ts', env: {} },
          {
            name: 'redis-slots floor',
            store: 'redis',
            script: 'bench/floor-redis.ts',
            env: { FLOOR_REDIS_SLOTS: '1' },
          },
        ],
  );

/** callgrind_control finds the process by a file named after the user and HOST it saw at start. */
const control = (pid: number, ...args: string[]) =>
  execFileSync('callgrind_control', [...args, String(pid)], {
    env: { ...process.env, HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

async function measure(t: Target, tmp: string): Promise<number> {
  const db = await createScratchDb('_ir');
  const prefix = `${db}:`;
  const port = await freePort();
  const env = {
    ...serviceEnv(port),
    ...sharedLimits(parseArgs([])),
    ADMIN_TOKEN: ADMIN,
    DATABASE_URL: dbUrl(db),
    FLOOR_EVENTS: String(EVENTS),
    FLOOR_SEATS_PER_EVENT: String(SEATS),
    ...(t.store === 'redis' ? { REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
    ...t.env,
  };
  const node = t.script ? ['--import', 'tsx', resolve(t.script)] : ['dist/main.js'];
  const out = join(tmp, 'cg');
  const vg = [
    '--tool=callgrind',
    '--instr-atstart=no',
    '--smc-check=all-non-file',
    `--callgrind-out-file=${out}.%p`,
  ];
  const child: ChildProcess = spawn('valgrind', [...vg, process.execPath, ...node], { env, stdio: 'ignore' });
  const origin = `http://127.0.0.1:${port}`;
  const api = new ApiClient(origin, CONNECTIONS);
  try {
    await ready(api, child);
    const events = t.script ? await floorEvents(api) : await serviceEvents(origin);
    const blocks = await seatBlocks(api, events);
    await locks(api, blocks, await newSessions(api, WARM));
    const pid = child.pid!;
    const sessions = await newSessions(api, N);
    control(pid, '--zero');
    control(pid, '--instr=on');
    await locks(api, blocks, sessions);
    control(pid, '--instr=off');
    control(pid, '--dump');
    const dump = readdirSync(tmp).find((f) => f.startsWith(`cg.${pid}.`));
    const total = dump && /^totals: (\d+)/m.exec(readFileSync(join(tmp, dump), 'utf8'));
    if (!total) throw new Error(`${t.name}: callgrind wrote no totals`);
    return Number(total[1]) / N;
  } finally {
    await api.close();
    await stopChild(child, 60_000);
    await dropScratchDb(db);
    if (t.store === 'redis') await dropRedisKeys(REDIS_URL, prefix);
  }
}

async function ready(api: ApiClient, child: ChildProcess): Promise<void> {
  // Under valgrind a start takes a minute or two.
  for (const deadline = Date.now() + 600_000; Date.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} at start`);
    if ((await api.call('ready', 'GET', '/api/events', { untimed: true })).status === 200) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('not ready within 10 minutes');
}

/** EVENTS events of SEATS seats each, made as the bench's other scenarios make theirs. */
const serviceEvents = (origin: string) =>
  mapLimit(
    Array.from({ length: EVENTS }, (_, i) => i),
    2,
    (i) => createEvent(origin, ADMIN, `Event ${i}`, SEATS),
  );

async function floorEvents(api: ApiClient): Promise<string[]> {
  const r = await api.call('setup', 'GET', '/api/events', { untimed: true });
  return (r.body.events as { eventID: string }[]).map((e) => e.eventID);
}

/** Disjoint blocks of 1-4 adjacent seats, shuffled: every lock of the run can succeed. */
async function seatBlocks(
  api: ApiClient,
  events: string[],
): Promise<{ eventID: string; seatIDs: string[] }[]> {
  const blocks: { eventID: string; seatIDs: string[] }[] = [];
  for (const eventID of events) {
    const map = await api.call('setup', 'GET', `/api/seats/${eventID}`, { untimed: true });
    const ids = (map.body.seats as { seatID: string }[]).map((s) => s.seatID);
    for (let i = 0; i + 4 <= ids.length; i += 4)
      blocks.push({ eventID, seatIDs: ids.slice(i, i + 1 + ((i / 4) % 4)) });
  }
  for (let i = blocks.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [blocks[i], blocks[j]] = [blocks[j]!, blocks[i]!];
  }
  if (blocks.length < WARM + N) throw new Error('not enough seats for the run');
  return blocks;
}

const newSessions = (api: ApiClient, n: number) =>
  mapLimit(
    Array.from({ length: n }, (_, i) => i),
    CONNECTIONS,
    async () => {
      const r = await api.call('setup', 'POST', '/api/sessions', { untimed: true });
      if (r.status !== 201) throw new Error(`POST /api/sessions answered ${r.status}`);
      return String(r.body.sessionID);
    },
  );

async function locks(api: ApiClient, blocks: { eventID: string; seatIDs: string[] }[], sessions: string[]) {
  await mapLimit(sessions, CONNECTIONS, async (session) => {
    const body = blocks.pop();
    for (let attempt = 1; ; attempt++) {
      const r = await api.call('lock', 'POST', '/api/lock', { session, body, untimed: true });
      if (r.status === 200) return;
      // Under valgrind a Redis command can outlast the service's 1 s command timeout (503). The same
      // session asking for the same seats again is answered as if the first had not happened.
      if (r.status !== 503 || attempt === 3)
        throw new Error(`a lock answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
  });
}

export async function runInstructions(argv: readonly string[]): Promise<void> {
  const at = argv.indexOf('--stores');
  const stores = at >= 0 ? (argv[at + 1] ?? '').split(',') : ['postgres', 'redis'];
  for (const s of stores)
    if (s !== 'postgres' && s !== 'redis') throw new Error(`--instructions: unknown store ${s}`);
  try {
    execFileSync('valgrind', ['--version']);
  } catch {
    throw new Error('--instructions needs valgrind (Debian: apt-get install valgrind)');
  }
  const machine = await machineFacts();
  const tmp = mkdtempSync(join(tmpdir(), 'bench-ir-'));
  const perLock = new Map<string, number>();
  try {
    for (const t of targets(stores)) {
      process.stdout.write(`${t.name}: counting ${N} locks after ${WARM} ...\n`);
      perLock.set(t.name, await measure(t, tmp));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const k = (n: number) => `${Math.round(n / 1000).toLocaleString('en-US')}k`;
  process.stdout.write(
    `\nInstructions per lock (callgrind, user space of the serving process; ${N} locks after ${WARM}, ` +
      `${CONNECTIONS} connections)\nMachine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ` +
      `PostgreSQL ${machine.postgres}, ${machine.date}\n`,
  );
  for (const [name, n] of perLock) process.stdout.write(`  ${name.padEnd(24)} ${k(n).padStart(7)}\n`);
  const ratio = (service: string, floor: string) => {
    const [s, f] = [perLock.get(service), perLock.get(floor)];
    if (s && f) process.stdout.write(`  ${service} / ${floor}: ${(s / f).toFixed(2)}\n`);
  };
  ratio('service (PostgreSQL)', 'pg floor');
  ratio('service (Redis holds)', 'redis floor');
  ratio('service (Redis holds)', 'redis-slots floor');
}
