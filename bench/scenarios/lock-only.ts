import { performance } from 'node:perf_hooks';
import { ApiClient, cpuWindow, mapLimit, randInt, sleep } from '../lib/client.js';
import { seatMap, Unexpected, type JobResult, type Mark } from './common.js';

export interface LockOnlyParams {
  origin: string;
  eventIds: string[];
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** Sessions made beforehand; each is used for one lock, then (if they run out) for a second. */
  sessions: number;
  /**
   * Open loop: send at this rate (spread over the connections) instead of back to back, and time each
   * lock from when it was due, so that waiting for a free connection counts too.
   */
  ratePerSec?: number;
  /** Best available instead: POST /api/lock/best for 1–4 seats of a random event, the service picking. */
  best?: boolean;
}

export interface LockOnlyResult extends JobResult {
  locksOk: number;
  conflicts: number;
  ranOut: boolean;
}

/**
 * The lock alone, next to the floor routes (which this same job drives) and pgbench: nothing but
 * POST /api/lock, each from a session that holds (almost) nothing yet, on 1–4 adjacent free seats of a
 * random event. The seats stay held (until their TTL): this runs after the scenarios that need free seats.
 */
export async function lockOnly(p: LockOnlyParams, mark: Mark): Promise<LockOnlyResult> {
  const api = new ApiClient(p.origin, p.connections);
  const tokens = await mapLimit(
    Array.from({ length: p.sessions }, (_, i) => i),
    Math.min(64, p.connections),
    async () => {
      const s = await api.call('setup', 'POST', '/api/sessions', { untimed: true });
      if (s.status !== 201) throw new Error(`POST /api/sessions answered ${s.status}`);
      return String(s.body.sessionID);
    },
  );
  const free = p.best
    ? []
    : await mapLimit(p.eventIds, 8, async (id) => {
        const map = await seatMap(api, id, { untimed: true });
        return map.seats.filter((s) => s.status === 'available').map((s) => s.seatID);
      });
  const unexpected = new Unexpected();
  const c = { locksOk: 0, conflicts: 0 };
  let next = 0;
  let ranOut = false;
  let sent = 0;
  const paced = p.ratePerSec !== undefined && p.ratePerSec > 0;
  const interval = paced ? 1000 / (p.ratePerSec as number) : 0;
  let pacedFrom = performance.now();

  /** 1–4 adjacent free seats of a random event that still has some (or, for best available, how many). */
  const pick = (): { eventID: string; seatIDs: string[] } | { eventID: string; quantity: number } | null => {
    if (p.best) return { eventID: p.eventIds[randInt(0, p.eventIds.length - 1)]!, quantity: randInt(1, 4) };
    const start = randInt(0, p.eventIds.length - 1);
    for (let k = 0; k < p.eventIds.length; k++) {
      const e = (start + k) % p.eventIds.length;
      const seats = free[e] as string[];
      if (seats.length === 0) continue;
      const n = Math.min(randInt(1, 4), seats.length);
      return { eventID: p.eventIds[e] as string, seatIDs: seats.splice(randInt(0, seats.length - n), n) };
    }
    return null;
  };

  api.recording = false;
  let cpu = cpuWindow();
  let t0 = performance.now();
  const warmEnd = t0 + p.warmupSeconds * 1000;
  let end = warmEnd + p.seconds * 1000;
  let measuring = false;
  pacedFrom = t0;

  const lane = async () => {
    for (;;) {
      const now = performance.now();
      if (!measuring && now >= warmEnd) {
        measuring = true;
        api.recording = true;
        Object.assign(c, { locksOk: 0, conflicts: 0 });
        cpu = cpuWindow();
        t0 = now;
        end = now + p.seconds * 1000;
        mark('start');
      }
      if (now >= end || ranOut) return;
      if (next >= 2 * tokens.length) return void (ranOut = true);
      const session = tokens[next++ % tokens.length] as string;
      const target = pick();
      if (!target) return void (ranOut = true);
      let due = performance.now();
      if (paced) {
        due = pacedFrom + sent++ * interval;
        if (due > performance.now()) await sleep(due - performance.now());
        if (due >= end) return;
      }
      const url = p.best ? '/api/lock/best' : '/api/lock';
      const lock = await api.call('lock', 'POST', url, { session, body: target, untimed: paced });
      if (paced && api.recording) api.recorder('lock').add(performance.now() - due, lock.status);
      if (lock.status === 200) c.locksOk++;
      else if (lock.status === 409) c.conflicts++;
      else unexpected.note(`POST ${url}`, lock.status, lock.body);
    }
  };
  await Promise.all(Array.from({ length: p.connections }, lane));
  const durationS = (Math.min(performance.now(), end) - t0) / 1000;
  const generatorCpu = cpu();
  mark('end');
  await api.close();
  return {
    ...c,
    ranOut,
    durationS,
    endpoints: api.summaries(),
    generatorCpu,
    networkErrors: api.networkErrors,
    unexpected: unexpected.samples,
  };
}

/** Lock requests answered per second (200 and 409 alike: each ran the whole lock). */
export const lockRate = (r: LockOnlyResult) => (r.locksOk + r.conflicts) / r.durationS;
