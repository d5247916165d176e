import { performance } from 'node:perf_hooks';
import { ApiClient, cpuWindow, randInt, sleep } from '../lib/client.js';
import type { LatencySummary } from '../lib/stats.js';
import { newUsers, PAYMENT, seatMap, Unexpected, type JobResult, type Mark, type User } from './common.js';

export interface RushParams {
  origin: string;
  eventId: string;
  totalSeats: number;
  sessions: number;
  connections: number;
  maxSeconds: number;
  confirmShare: number;
  /** A separate reader of this event's seat map on its own connection while the rush runs (scenario 3). */
  readerEventId?: string;
}

export interface RushResult extends JobResult {
  soldOut: boolean;
  soldOutSeconds: number | null;
  soldSeats: number;
  lockAttempts: number;
  locksOk: number;
  conflicts: number;
  confirms: number;
  cancels: number;
  mapLoads: number;
  reader: LatencySummary | null;
  /** Every seat the service answered 201 for, to check against the database afterwards. */
  confirmedSeatIds: string[];
}

interface Shopper extends User {
  view: string[];
  attemptsSinceLoad: number;
  conflictsInRow: number;
}

// A shopper drops the seats a 409 names from its map and reloads the map when it has no seat left to try,
// after this many conflicts in a row, or after this many attempts on one map (not by age: on a slow
// service every map would be stale, and reloading a 10,000-seat map costs more than a failed lock).
const CONFLICTS_BEFORE_RELOAD = 5;
const ATTEMPTS_PER_MAP = 20;
// The scenario-3 reader looks at the map this often: often enough for percentiles, seldom enough not to
// take a large share of the service from the rush it is measuring.
const READER_PAUSE_MS = 200;

/**
 * The on-sale: every shopper loads the seat map, then keeps locking 1–4 adjacent seats it saw available,
 * confirming (70 %) or cancelling (30 %) each success, until every seat is sold. `connections` lanes
 * share the shoppers, so at most that many requests are in flight.
 */
export async function rush(p: RushParams, mark: Mark): Promise<RushResult> {
  const api = new ApiClient(p.origin, p.connections);
  const shoppers: Shopper[] = (await newUsers(api, p.sessions, p.connections)).map((u) => ({
    ...u,
    view: [],
    attemptsSinceLoad: 0,
    conflictsInRow: 0,
  }));
  const unexpected = new Unexpected();
  const confirmedSeatIds: string[] = [];
  const c = { lockAttempts: 0, locksOk: 0, conflicts: 0, confirms: 0, cancels: 0, mapLoads: 0 };
  let done = false;
  let soldOutAt: number | null = null;

  mark('start');
  const cpu = cpuWindow();
  const t0 = performance.now();
  const deadline = t0 + p.maxSeconds * 1000;

  const loadMap = async (s: Shopper) => {
    c.mapLoads++;
    const map = await seatMap(api, p.eventId, { session: s.token });
    if (map.status !== 200) return unexpected.note('GET /api/seats', map.status, null);
    s.view = map.seats.filter((x) => x.status === 'available').map((x) => x.seatID);
    s.attemptsSinceLoad = 0;
    s.conflictsInRow = 0;
    if (map.seats.length > 0 && map.seats.every((x) => x.status === 'confirmed')) finish();
    // Nothing free right now, but holds that may still be cancelled: look again shortly.
    else if (s.view.length === 0) await sleep(20);
  };

  const finish = () => {
    if (soldOutAt === null) soldOutAt = performance.now();
    done = true;
  };

  const step = async (s: Shopper) => {
    if (
      s.view.length === 0 ||
      s.conflictsInRow >= CONFLICTS_BEFORE_RELOAD ||
      s.attemptsSinceLoad >= ATTEMPTS_PER_MAP
    ) {
      return loadMap(s);
    }
    s.attemptsSinceLoad++;
    const n = Math.min(randInt(1, 4), s.view.length);
    const at = randInt(0, s.view.length - n);
    const seatIDs = s.view.splice(at, n);
    c.lockAttempts++;
    const lock = await api.call('lock', 'POST', '/api/lock', {
      session: s.token,
      body: { eventID: p.eventId, seatIDs },
    });
    if (lock.status === 409) {
      c.conflicts++;
      s.conflictsInRow++;
      // The seats that were still free go back into this shopper's view.
      const taken = new Set<string>(lock.body?.unavailable ?? seatIDs);
      s.view.splice(at, 0, ...seatIDs.filter((id) => !taken.has(id)));
      return;
    }
    if (lock.status !== 200) return unexpected.note('POST /api/lock', lock.status, lock.body);
    c.locksOk++;
    s.conflictsInRow = 0;
    if (Math.random() < p.confirmShare) {
      const res = await api.call('confirm', 'POST', '/api/confirm', {
        session: s.token,
        body: { eventID: p.eventId, customerID: s.customerId, seatIDs, payment: PAYMENT },
      });
      if (res.status === 201) {
        c.confirms++;
        confirmedSeatIds.push(...seatIDs);
        if (confirmedSeatIds.length >= p.totalSeats) finish();
        return;
      }
      unexpected.note('POST /api/confirm', res.status, res.body);
    }
    c.cancels++;
    const res = await api.call('cancel', 'POST', '/api/cancel-lock', {
      session: s.token,
      body: { eventID: p.eventId, seatIDs },
    });
    if (res.status !== 200) unexpected.note('POST /api/cancel-lock', res.status, res.body);
  };

  const lane = async (mine: Shopper[]) => {
    for (let i = 0; !done; i++) {
      if (performance.now() > deadline) return void (done = true);
      await step(mine[i % mine.length] as Shopper);
    }
  };

  const reader = p.readerEventId ? new ApiClient(p.origin, 1) : null;
  const readerLoop = async () => {
    while (reader && !done) {
      const r = await seatMap(reader, p.readerEventId as string, { endpoint: 'seats-reader' });
      if (r.status !== 200) unexpected.note('GET /api/seats (reader)', r.status, null);
      await sleep(READER_PAUSE_MS);
    }
  };

  const lanes = Array.from({ length: p.connections }, (_, l) =>
    shoppers.filter((_, i) => i % p.connections === l),
  ).filter((m) => m.length > 0);
  await Promise.all([...lanes.map(lane), readerLoop()]);
  const end = soldOutAt ?? performance.now();
  const generatorCpu = cpu();
  mark('end');
  const readerSummary = reader?.summaries()['seats-reader'] ?? null;
  await Promise.all([api.close(), reader?.close()]);
  return {
    ...c,
    soldOut: soldOutAt !== null,
    soldOutSeconds: soldOutAt !== null ? (soldOutAt - t0) / 1000 : null,
    soldSeats: confirmedSeatIds.length,
    durationS: (end - t0) / 1000,
    endpoints: api.summaries(),
    reader: readerSummary,
    generatorCpu,
    networkErrors: api.networkErrors + (reader?.networkErrors ?? 0),
    unexpected: unexpected.samples,
    confirmedSeatIds,
  };
}
