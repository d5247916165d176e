import { performance } from 'node:perf_hooks';
import type { JobResult } from '../scenarios/common.js';
import { setTimeout as delay } from 'node:timers/promises';
import { walWritten } from './pg.js';
import {
  cpuDelta,
  machineCpuMs,
  postgresCpuMs,
  processCpuMs,
  redisCpuMs,
  type ServiceHandle,
} from './procs.js';
import type { CpuShares } from './row.js';

interface Reading {
  at: number;
  service: Map<number, number>;
  postgres: number;
  redis: number;
  machine: { busy: number; total: number };
}

const read = (svc: ServiceHandle): Reading => ({
  at: performance.now(),
  service: processCpuMs(svc.pids()),
  postgres: postgresCpuMs(),
  redis: redisCpuMs(),
  machine: machineCpuMs(),
});

/**
 * Runs a load-generator job and reads the CPU time of the service, of PostgreSQL, of Redis and of the machine
 * at the start and end of its measured window (which the job marks), next to the generator's own, and
 * the WAL PostgreSQL wrote meanwhile (asked for at the marks, answered a few milliseconds later).
 */
export async function measureWindow<T extends JobResult>(
  svc: ServiceHandle,
  job: (mark: (m: 'start' | 'end') => void) => Promise<T>,
): Promise<{ result: T; cpu: CpuShares }> {
  let start: Reading | null = null;
  let end: Reading | null = null;
  let walAtStart: Promise<number | null> = Promise.resolve(null);
  let walAtEnd: Promise<number | null> = Promise.resolve(null);
  const result = await job((m) => {
    if (m === 'start') {
      start = read(svc);
      walAtStart = walWritten();
    } else {
      end = read(svc);
      walAtEnd = walWritten();
    }
  });
  const [w0, w1] = await Promise.all([walAtStart, walAtEnd]);
  const a = start as Reading | null;
  const b = end as Reading | null;
  if (!a || !b || b.at <= a.at) {
    return {
      result,
      cpu: {
        generator: result.generatorCpu.share,
        service: 0,
        postgres: 0,
        redis: 0,
        machineBusy: 0,
        other: 0,
        walBytesPerSec: null,
      },
    };
  }
  const wall = b.at - a.at;
  const total = b.machine.total - a.machine.total;
  const busy = b.machine.busy - a.machine.busy;
  const generator = result.generatorCpu.share;
  const service = cpuDelta(a.service, b.service) / wall;
  const postgres = (b.postgres - a.postgres) / wall;
  const redis = (b.redis - a.redis) / wall;
  return {
    result,
    cpu: {
      generator,
      service,
      postgres,
      redis,
      machineBusy: total > 0 ? busy / total : 0,
      // The orchestrator's own share is tiny; what is left is someone else's load on the machine.
      other: Math.max(0, busy / wall - generator - service - postgres - redis),
      walBytesPerSec: w0 !== null && w1 !== null && w1 >= w0 ? (w1 - w0) / (wall / 1000) : null,
    },
  };
}

/** CPU ms per request (or lock) of a process that used `share` of a core at `perSec`; null at no rate. */
export const cpuMsPer = (share: number, perSec: number): number | null =>
  perSec > 0 ? (share * 1000) / perSec : null;

/** KB of WAL per request (or lock) at `perSec` over a window measured above; null where unknown. */
export const walKBPer = (cpu: CpuShares, perSec: number): number | null =>
  cpu.walBytesPerSec !== null && perSec > 0 ? cpu.walBytesPerSec / 1024 / perSec : null;

/** The machine's busy share (of all cores) over `ms`. */
export async function machineBusy(ms: number): Promise<number> {
  const a = machineCpuMs();
  await delay(ms);
  const b = machineCpuMs();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}

/**
 * On a shared machine (other people's test suites), waits until it is mostly idle — below `threshold`
 * busy over a 2 s look — for at most `maxSeconds`. Returns the last busy share seen.
 */
export async function waitQuiet(
  threshold: number,
  maxSeconds: number,
): Promise<{ busy: number; waitedS: number }> {
  const t0 = performance.now();
  for (;;) {
    const busy = await machineBusy(2000);
    const waitedS = (performance.now() - t0) / 1000;
    if (busy <= threshold || waitedS >= maxSeconds) return { busy, waitedS };
  }
}
