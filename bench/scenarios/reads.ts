import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ApiClient, cpuWindow } from '../lib/client.js';
import { seatMap, Unexpected, type JobResult, type Mark } from './common.js';

export type MapVariant = 'plain' | 'revalidated' | 'compressed';

export interface MapParams {
  origin: string;
  eventId: string;
  connections: number;
  seconds: number;
  /**
   * plain: the whole JSON, parsed; revalidated: `If-None-Match` with the ETag of a first read (304
   * expected); compressed: `Accept-Encoding: br, gzip` (the body's bytes kept as sent).
   */
  variant?: MapVariant;
}

export interface RateResult extends JobResult {
  requests: number;
  perSec: number;
}

export interface MapResult extends RateResult {
  variant: MapVariant;
  /** Answers 304 Not Modified. */
  notModified: number;
  /** The compressed variant: the body's size as sent, and its Content-Encoding. */
  compressedBytes: number | null;
  encoding: string | null;
}

/** Scenario 3 alone: the seat map of one event, read back to back. */
export async function mapReads(p: MapParams, mark: Mark): Promise<MapResult> {
  const variant = p.variant ?? 'plain';
  const api = new ApiClient(p.origin, p.connections);
  const path = `/api/seats/${p.eventId}`;
  const first = await api.call('seats', 'GET', path, { untimed: true, raw: true }); // warm-up, untimed
  const etag = first.headers.etag;
  if (variant === 'revalidated' && typeof etag !== 'string')
    throw new Error(`GET ${path} answered ${first.status} with no ETag`);
  const headers: Record<string, string> =
    variant === 'revalidated'
      ? { 'if-none-match': etag as string }
      : variant === 'compressed'
        ? { 'accept-encoding': 'br, gzip' }
        : {};
  const expected = variant === 'revalidated' ? 304 : 200;
  const unexpected = new Unexpected();
  let notModified = 0;
  let compressedBytes: number | null = null;
  let encoding: string | null = null;
  mark('start');
  const cpu = cpuWindow();
  const t0 = performance.now();
  const end = t0 + p.seconds * 1000;
  let requests = 0;
  const read = async (): Promise<{ status: number; encoding?: unknown; bytes?: number }> => {
    if (variant === 'plain') return seatMap(api, p.eventId);
    const r = await api.call('seats', 'GET', path, { headers, raw: true });
    return { status: r.status, encoding: r.headers['content-encoding'], bytes: (r.body as Buffer).length };
  };
  const lane = async () => {
    while (performance.now() < end) {
      const r = await read();
      requests++;
      if (r.status === 304) notModified++;
      if (r.status !== expected) unexpected.note(`GET /api/seats (${variant})`, r.status, null);
      else if (variant === 'compressed') {
        encoding = typeof r.encoding === 'string' ? r.encoding : null;
        compressedBytes = r.bytes ?? null;
        if (encoding !== 'br' && encoding !== 'gzip')
          unexpected.note('GET /api/seats (not compressed)', r.status, r.encoding);
      }
    }
  };
  await Promise.all(Array.from({ length: p.connections }, lane));
  const rate = await finish(api, requests, t0, cpu, mark, unexpected);
  return { ...rate, variant, notModified, compressedBytes, encoding };
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
