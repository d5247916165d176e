import { fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { Job } from '../loadgen.js';

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => ok(port));
    });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok(child.exitCode);
    child.once('exit', (code) => ok(code));
  });

/** SIGTERM, then SIGKILL if it has not gone within `graceMs`. Returns the exit code. */
export async function stopChild(child: ChildProcess, graceMs = 20_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited(child);
  clearTimeout(timer);
  return code;
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface ServiceHandle {
  origin: string;
  child: ChildProcess;
  logFile: string;
  pids(): number[];
  stop(): Promise<number | null>;
}

export interface ServiceOptions {
  env: Record<string, string>;
  instances: number;
  logFile: string;
  profileDir?: string;
}

/** What every service process of the bench runs with: production, loopback, quiet, no limiter, no demo. */
export const serviceEnv = (port: number): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PORT: String(port),
  LOG_LEVEL: 'warn',
  RATE_LIMIT_PER_MINUTE: '0',
  SEED_DEMO: 'false',
});

/**
 * Node options for a measured process: a CPU profile into `profileDir` if given, then BENCH_NODE_ARGS
 * (extra options such as `--trace-gc`, split on spaces).
 */
export function benchNodeArgs(profileDir?: string): string[] {
  const extra = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  return [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...extra];
}

/** The production build on loopback (one process, or a node:cluster primary with workers), once ready. */
export async function startService(o: ServiceOptions): Promise<ServiceHandle> {
  const port = await freePort();
  const nodeArgs = benchNodeArgs(o.profileDir);
  const env = {
    ...serviceEnv(port),
    ...o.env,
    BENCH_WORKERS: String(o.instances),
    BENCH_WORKER_EXEC_ARGV: JSON.stringify(nodeArgs),
  };
  const log = openSync(o.logFile, 'a');
  const clustered = o.instances > 1;
  const args = clustered ? ['--import', 'tsx', resolve('bench/cluster.ts')] : [...nodeArgs, 'dist/main.js'];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', log, log, 'ipc'] });
  closeSync(log);
  const origin = `http://127.0.0.1:${port}`;
  const handle: ServiceHandle = {
    origin,
    child,
    logFile: o.logFile,
    pids: () => [child.pid ?? 0, ...childPids(child.pid ?? 0)].filter((p) => p > 0),
    stop: () => stopChild(child),
  };
  const fail = (why: string) => new Error(`${why}\n--- service log (${o.logFile}) ---\n${tail(o.logFile)}`);
  if (clustered) {
    await new Promise<void>((ok, no) => {
      child.once('message', () => ok());
      child.once('exit', (code) => no(fail(`the cluster exited with ${code} before it was ready`)));
    });
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw fail(`the service exited with ${child.exitCode} at start`);
    const ok = await fetch(`${origin}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return handle;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw fail('the service was not ready within 60 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * A bench server script (bare Fastify, a floor route) in its own process on a free port, once it has
 * printed `listening <port>`.
 */
export async function startScript(
  what: string,
  script: string,
  logFile: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<ServiceHandle> {
  const port = await freePort();
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', resolve(script)], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', log],
  });
  closeSync(log);
  await new Promise<void>((ok, no) => {
    child.stdout?.once('data', () => ok());
    child.once('exit', (code) => no(new Error(`${what} exited with ${code}: ${tail(logFile)}`)));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    child,
    logFile,
    pids: () => [child.pid ?? 0],
    stop: () => stopChild(child),
  };
}

/** The bare Fastify server (the HTTP ceiling), on a free port. */
export const startBare = (logFile: string) => startScript('bare Fastify', 'bench/bare-fastify.ts', logFile);

/** Runs one job in a fresh load-generator process and returns its answer; `onMark` sees its window. */
export function runJob<T>(job: Job, onMark: (m: 'start' | 'end') => void = () => undefined): Promise<T> {
  return new Promise((ok, no) => {
    const child = fork(resolve('bench/loadgen.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let answered = false;
    child.on('message', (m: { mark?: 'start' | 'end'; ok?: boolean; result?: T; error?: string }) => {
      if (m.mark) return onMark(m.mark);
      answered = true;
      if (m.ok) ok(m.result as T);
      else no(new Error(`load generator: ${m.error}`));
    });
    child.once('exit', (code) => {
      if (!answered) no(new Error(`the load generator exited with ${code} without an answer`));
    });
    child.send(job);
  });
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (ms) used so far by each of these processes. */
export function processCpuMs(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(f[11]) + Number(f[12])) * TICK_MS);
    } catch {
      // gone: its time is lost, which only under-counts
    }
  }
  return out;
}

/** CPU used between two readings; processes born in between count whole. */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, v] of after) ms += v - (before.get(pid) ?? 0);
  return ms;
}

/** The machine's busy and total CPU time so far (ms, all cores). */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}

/**
 * CPU time (ms) PostgreSQL has used so far: its live processes, plus what its postmaster has collected
 * from backends that already exited (pgbench's connections end before the run can be read again).
 */
export const postgresCpuMs = (): number => cpuMsOf('postgres', true);

/**
 * CPU time (ms) the machine's Redis servers have used so far (the bench's one is the only busy one: the
 * bench runs with no tests beside it). Redis serves commands on one thread: its CPU per lock is what the
 * hold costs Redis.
 */
export const redisCpuMs = (): number => cpuMsOf('redis-server', false);

/** CPU time (ms) of the live processes named `comm`; with `reaped`, also their exited children's. */
function cpuMsOf(comm: string, reaped: boolean): number {
  let ms = 0;
  for (const pid of listPids()) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== comm) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ms += (Number(f[11]) + Number(f[12])) * TICK_MS;
      if (!reaped) continue;
      // The parent of them all (its own parent is not one of them) carries its reaped children's time.
      const ppid = Number(f[1]);
      const parent = readFileSync(`/proc/${ppid}/comm`, 'utf8').trim();
      if (parent !== comm) ms += (Number(f[13]) + Number(f[14])) * TICK_MS;
    } catch {
      // gone meanwhile
    }
  }
  return ms;
}

function listPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}
