import { performance } from 'node:perf_hooks';
import { ApiClient, cpuWindow, mapLimit, randInt } from '../lib/client.js';
import { newUsers, PAYMENT, seatMap, Unexpected, type JobResult, type Mark } from './common.js';

export interface SteadyParams {
  origin: string;
  eventIds: string[];
  connections: number;
  seconds: number;
  warmupSeconds: number;
}

export interface SteadyResult extends JobResult {
  locksOk: number;
  conflicts: number;
  confirms: number;
  ranOutOfSeats: boolean;
  confirmedSeatIds: string[];
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randInt(0, i);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/**
 * Everyday sales: one session per connection, each locking 1–4 seats of a random event, then confirming
 * them. Seats are dealt from one shuffled pool per event, so two connections rarely want the same seat.
 */
export async function steady(p: SteadyParams, mark: Mark): Promise<SteadyResult> {
  const api = new ApiClient(p.origin, p.connections);
  const users = await newUsers(api, p.connections, Math.min(p.connections, 32));
  const pools = await mapLimit(p.eventIds, 8, async (id) => {
    const map = await seatMap(api, id, { untimed: true });
    return shuffle(map.seats.filter((s) => s.status === 'available').map((s) => s.seatID));
  });
  const unexpected = new Unexpected();
  const confirmedSeatIds: string[] = [];
  /** 1–4 seats of a random event that still has some. */
  const pick = (): { eventID: string; seatIDs: string[] } | null => {
    const start = randInt(0, p.eventIds.length - 1);
    for (let k = 0; k < p.eventIds.length; k++) {
      const e = (start + k) % p.eventIds.length;
      const pool = pools[e] as string[];
      if (pool.length > 0) {
        return {
          eventID: p.eventIds[e] as string,
          seatIDs: pool.splice(Math.max(0, pool.length - randInt(1, 4))),
        };
      }
    }
    return null;
  };
  const c = { locksOk: 0, conflicts: 0, confirms: 0 };
  let ranOutOfSeats = false;

  api.recording = false;
  const warmEnd = performance.now() + p.warmupSeconds * 1000;
  let cpu = cpuWindow();
  let t0 = performance.now();
  let end = warmEnd + p.seconds * 1000;
  let measuring = p.warmupSeconds === 0;
  if (measuring) {
    api.recording = true;
    mark('start');
  }

  const lane = async (u: (typeof users)[number]) => {
    while (!ranOutOfSeats) {
      const now = performance.now();
      if (!measuring && now >= warmEnd) {
        // The first lane past warm-up opens the measured window for all.
        measuring = true;
        api.recording = true;
        Object.assign(c, { locksOk: 0, conflicts: 0, confirms: 0 });
        cpu = cpuWindow();
        t0 = now;
        end = now + p.seconds * 1000;
        mark('start');
      }
      if (now >= end) return;
      const target = pick();
      if (!target) return void (ranOutOfSeats = true);
      const { eventID, seatIDs } = target;
      const lock = await api.call('lock', 'POST', '/api/lock', {
        session: u.token,
        body: { eventID, seatIDs },
      });
      if (lock.status === 409) {
        c.conflicts++;
        continue;
      }
      if (lock.status !== 200) {
        unexpected.note('POST /api/lock', lock.status, lock.body);
        continue;
      }
      c.locksOk++;
      const res = await api.call('confirm', 'POST', '/api/confirm', {
        session: u.token,
        body: { eventID, customerID: u.customerId, seatIDs, payment: PAYMENT },
      });
      if (res.status === 201) {
        c.confirms++;
        confirmedSeatIds.push(...seatIDs);
      } else {
        unexpected.note('POST /api/confirm', res.status, res.body);
        await api.call('cancel', 'POST', '/api/cancel-lock', {
          session: u.token,
          body: { eventID, seatIDs },
        });
      }
    }
  };

  await Promise.all(users.map(lane));
  const wall = (performance.now() - t0) / 1000;
  const generatorCpu = cpu();
  mark('end');
  await api.close();
  return {
    ...c,
    ranOutOfSeats,
    durationS: wall,
    endpoints: api.summaries(),
    generatorCpu,
    networkErrors: api.networkErrors,
    unexpected: unexpected.samples,
    confirmedSeatIds,
  };
}
