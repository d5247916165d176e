import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ApiClient, cpuWindow } from '../lib/client.js';
import { seatMap, Unexpected, type JobResult, type Mark } from './common.js';

export interface MapParams {
  origin: string;
  eventId: string;
  connections: number;
  seconds: number;
}

export interface RateResult extends JobResult {
  requests: number;
  perSec: number;
}

/** Scenario 3 alone: the seat map of one event, read back to back. */
export async function mapReads(p: MapParams, mark: Mark): Promise<RateResult> {
  const api = new ApiClient(p.origin, p.connections);
  await seatMap(api, p.eventId, { untimed: true }); // warm-up, untimed
  const unexpected = new Unexpected();
  mark('start');
  const cpu = cpuWindow();
  const t0 = performance.now();
  const end = t0 + p.seconds * 1000;
  let requests = 0;
  const lane = async () => {
    while (performance.now() < end) {
      const r = await seatMap(api, p.eventId);
      requests++;
      if (r.status !== 200) unexpected.note('GET /api/seats', r.status, null);
    }
  };
  await Promise.all(Array.from({ length: p.connections }, lane));
  return finish(api, requests, t0, cpu, mark, unexpected);
}

export interface BareParams {
  origin: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
}

/** The HTTP ceiling: a lock-shaped request to a bare Fastify route, same client, same connections. */
export async function bareHttp(p: BareParams, mark: Mark): Promise<RateResult> {
  const api = new ApiClient(p.origin, p.connections);
  const unexpected = new Unexpected();
  const sessions = Array.from({ length: p.connections }, () => randomUUID());
  const body = { eventID: randomUUID(), seatIDs: [randomUUID(), randomUUID()] };
  const run = async (seconds: number) => {
    const end = performance.now() + seconds * 1000;
    let n = 0;
    await Promise.all(
      sessions.map(async (session) => {
        while (performance.now() < end) {
          const r = await api.call('bare', 'POST', '/api/lock', { session, body });
          n++;
          if (r.status !== 200) unexpected.note('POST /api/lock (bare)', r.status, r.body);
        }
      }),
    );
    return n;
  };
  api.recording = false;
  await run(p.warmupSeconds);
  api.recording = true;
  mark('start');
  const cpu = cpuWindow();
  const t0 = performance.now();
  const requests = await run(p.seconds);
  return finish(api, requests, t0, cpu, mark, unexpected);
}

/** Closes the measured window and the client, and sums it up. */
async function finish(
  api: ApiClient,
  requests: number,
  t0: number,
  cpu: ReturnType<typeof cpuWindow>,
  mark: Mark,
  unexpected: Unexpected,
): Promise<RateResult> {
  const durationS = (performance.now() - t0) / 1000;
  const generatorCpu = cpu();
  mark('end');
  await api.close();
  return {
    requests,
    perSec: requests / durationS,
    durationS,
    endpoints: api.summaries(),
    generatorCpu,
    networkErrors: api.networkErrors,
    unexpected: unexpected.samples,
  };
}
