import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { testStores } from '../helpers/stores.js';
import {
  acknowledged,
  buyer,
  consistency,
  createEvent,
  invariantsHold,
  must,
  Recorder,
  retryable,
  SeatPool,
  send,
  sleep,
} from './load.js';

const postgres = (await testStores()).find((s) => s.name === 'postgres');

const EXIT_WITHIN_MS = 10_000;
const BURST = 40;

const all = (o: Record<string, boolean>) => Object.fromEntries(Object.keys(o).map((k) => [k, true]));

/** SIGTERM, then how it ended and how long it took. */
async function terminate(s: ServerProcess): Promise<{ code: number | null; ms: number }> {
  const at = Date.now();
  s.child.kill('SIGTERM');
  const code = await Promise.race([s.exited, sleep(EXIT_WITHIN_MS + 5000).then(() => 'hung' as const)]);
  if (code === 'hung') {
    s.child.kill('SIGKILL');
    return { code: null, ms: Date.now() - at };
  }
  return { code, ms: Date.now() - at };
}

/** Errors logged at level error or above (pino: 50, 60), e.g. a job still running on a closed pool. */
const errorLines = (output: string) =>
  output
    .split('\n')
    .filter((l) => /^\{.*"level":(50|60)/.test(l))
    .map((l) => JSON.parse(l).msg as string);

describe.skipIf(!postgres)('graceful restart', () => {
  let db: { env: Record<string, string>; drop(): Promise<void> };
  let env: Record<string, string>;
  const servers: ServerProcess[] = [];
  const start = async () => {
    const s = await startServer(env);
    servers.push(s);
    return s;
  };

  beforeAll(async () => {
    db = await postgres!.create();
    env = {
      ...db.env,
      ADMIN_TOKEN,
      SEED_DEMO: 'false',
      RATE_LIMIT_PER_MINUTE: '0',
      LOCK_TTL_SECONDS: '120',
      CLEANUP_INTERVAL_SECONDS: '1',
      DB_POOL_SIZE: '10',
    };
  });

  afterAll(async () => {
    for (const s of servers)
      if (s.child.exitCode === null && s.child.signalCode === null) {
        s.child.kill('SIGKILL');
        await s.exited;
      }
    await db?.drop();
  });

  it('SIGTERM finishes the requests in flight, ends seat streams with a reconnect hint, stops the job, exits 0 within 10 s', async () => {
    const s = await start();
    const { eventID, seatIDs } = await createEvent(s.base, BURST);
    const customerID: string = (await must(s.base, 'POST', '/api/customers', { body: { name: 'T' } }))
      .customerID;
    const payers = await Promise.all(
      seatIDs.map(async (seat) => {
        const sid: string = (await must(s.base, 'POST', '/api/sessions')).sessionID;
        await must(s.base, 'POST', '/api/lock', { session: sid, body: { eventID, seatIDs: [seat] } });
        return { sid, seat };
      }),
    );
    const stream = await openStream(s.base, eventID);
    await sleep(1200); // let the cleanup job run at least once, so there is a job to stop

    // A burst of confirms; SIGTERM lands as soon as the first is answered, with the rest in flight.
    let firstAnswer: () => void = () => undefined;
    const oneAnswered = new Promise<void>((r) => (firstAnswer = r));
    const burst = payers.map((p) =>
      send(s.base, 'POST', '/api/confirm', {
        session: p.sid,
        body: { eventID, customerID, payment: { token: 'tok_visa' } },
      }).then((a) => {
        firstAnswer();
        return a;
      }),
    );
    await oneAnswered;
    const exit = terminate(s);
    const termAt = Date.now();
    // Once it stops listening, a newcomer is refused at once (a load balancer sends it elsewhere); never a hang.
    await sleep(50);
    const late = await send(s.base, 'GET', `/api/seats/${eventID}`);
    const answers = await Promise.all(burst);
    const { code, ms } = await exit;
    const streamEndedAt = await stream.ended;

    const served = answers.filter((a) => a.status === 201);
    // Turned away before it ran (a 503, or a connection refused once it stopped listening): allowed, if nothing changed.
    const shed = answers.filter((a) => a.status === 503 || a.error === 'ECONNREFUSED');
    const dropped = answers.filter((a) => !served.includes(a) && !shed.includes(a));
    const acks = served.map(acknowledged);
    const c = await consistency(db.env.DATABASE_URL!, eventID, acks);
    const shedSold = await soldAmong(
      db.env.DATABASE_URL!,
      shed.map((a) => payers[answers.indexOf(a)]!.seat),
    );
    console.log(
      `SIGTERM during a burst of ${BURST} confirms: ${served.length} served with 201 ` +
        `(${served.filter((a) => a.at + a.ms >= termAt).length} of them answered after the signal), ${shed.length} shed with 503 before running, ` +
        `${dropped.length} dropped; a request after the signal: ${late.status} ${late.error ?? ''} in ${late.ms} ms; ` +
        `exit ${code} after ${ms} ms; the seat stream ended ${streamEndedAt - termAt} ms after the signal`,
    );
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_WITHIN_MS);
    // Every request that reached it got its whole answer; those it shed changed nothing.
    expect(dropped.map((a) => `${a.status} ${a.error ?? ''}`)).toEqual([]);
    expect(
      served.filter((a) => a.at + a.ms >= termAt).length,
      'nothing was in flight at SIGTERM',
    ).toBeGreaterThan(0);
    expect(shedSold).toBe(0);
    expect(invariantsHold(c)).toEqual(all(invariantsHold(c)));
    expect(c.confirmed).toBe(served.length);
    // Served on a connection still open, or turned away at once (refused, or a kept-alive socket closed
    // under it): never a hang, never a 5xx. It is a read, so nothing is at stake.
    expect(late.status === 'network' || late.status === 200, `late request: ${late.status}`).toBe(true);
    expect(late.ms).toBeLessThan(1000);
    // The open seat stream ended at once, its last words the standard reconnect hint (`retry: <ms>`), so
    // the browser comes back, to another instance.
    expect(streamEndedAt - termAt).toBeLessThan(EXIT_WITHIN_MS);
    expect(stream.text().slice(stream.textAt(termAt))).toMatch(/^retry: *\d+/m);
    // The job was stopped before the pool closed: no run failed on the way out.
    expect(errorLines(s.output())).toEqual([]);
  });

  it('a rolling restart of two instances under load loses no accepted request', async () => {
    let a = await start();
    let b = await start();
    const { eventID, seatIDs } = await createEvent(a.base, 1500);
    const customerID: string = (await must(a.base, 'POST', '/api/customers', { body: { name: 'R' } }))
      .customerID;
    const bases = [a.base, b.base];
    const rec = new Recorder();
    const pool = new SeatPool(seatIDs);
    let running = true;
    // Round robin over both; a connection error or a 503 is retried on the other instance.
    const buyers = Array.from({ length: 8 }, () =>
      buyer({
        bases: () => bases,
        eventID,
        customerID,
        pool,
        recorder: rec,
        running: () => running,
        retryForMs: 15_000,
        backoffMs: 20,
      }),
    );
    const sales = () => rec.acks.length;
    while (sales() < 10) await sleep(20);

    const restarts: { code: number | null; ms: number; salesDuring: number }[] = [];
    for (const i of [0, 1]) {
      const old = i === 0 ? a : b;
      const before = sales();
      const exit = await terminate(old);
      const fresh = await start();
      bases[i] = fresh.base;
      if (i === 0) a = fresh;
      else b = fresh;
      restarts.push({ ...exit, salesDuring: sales() - before });
      const settled = sales();
      while (sales() < settled + 10) await sleep(20);
    }
    running = false;
    await Promise.all(buyers);

    const attempts = rec.answers;
    const failedAttempts = attempts.filter(retryable);
    const otherFivexx = attempts.filter((x) => x.status !== 'network' && x.status >= 500 && x.status !== 503);
    const c = await consistency(db.env.DATABASE_URL!, eventID, rec.acks);
    console.log(
      `rolling restart: ${attempts.length} attempts, ${rec.acks.length} confirms acknowledged; ` +
        `restarts: ${restarts.map((r) => `exit ${r.code} after ${r.ms} ms, ${r.salesDuring} sales meanwhile`).join('; ')}; ` +
        `retried: ${JSON.stringify(countBy(failedAttempts.map((x) => (x.status === 503 ? `503 ${x.body?.error}` : x.error))))}`,
    );
    expect(restarts.map((r) => r.code)).toEqual([0, 0]);
    expect(restarts.every((r) => r.ms < EXIT_WITHIN_MS)).toBe(true);
    // Sales went on through both restarts, on the instance that stayed.
    expect(restarts.every((r) => r.salesDuring > 0)).toBe(true);
    // No request ended without a definite answer; the only failures were retried 503s and refused connections.
    expect(rec.undecided.map((x) => `${x.path} ${x.status} ${x.error ?? ''}`)).toEqual([]);
    expect(otherFivexx.map((x) => `${x.path} ${x.status}`)).toEqual([]);
    // Every acknowledged confirm is in the database, whole.
    expect(invariantsHold(c)).toEqual(all(invariantsHold(c)));
    expect(c.confirmed).toBeGreaterThanOrEqual(rec.acks.reduce((n, x) => n + x.seatIDs.length, 0));
    for (const s of servers) expect(errorLines(s.output())).toEqual([]);
  }, 90_000);
});

/** A live seat stream (SSE), read as it comes; `ended` resolves when the server ends it. */
async function openStream(base: string, eventID: string) {
  const res = await fetch(`${base}/api/events/${eventID}/stream`, {
    headers: { accept: 'text/event-stream' },
    signal: AbortSignal.timeout(30_000),
  });
  expect(res.status, 'GET /api/events/:eventID/stream').toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const chunks: { at: number; text: string }[] = [];
  const ended = (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return Date.now();
      chunks.push({ at: Date.now(), text: decoder.decode(value, { stream: true }) });
    }
  })();
  return {
    ended,
    text: () => chunks.map((c) => c.text).join(''),
    /** Where the text received from `at` on begins. */
    textAt: (at: number) => chunks.filter((c) => c.at < at).reduce((n, c) => n + c.text.length, 0),
  };
}

/** How many of these seats are confirmed. */
async function soldAmong(url: string, seatIDs: string[]): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: string }>(
      `SELECT count(*) AS n FROM seats WHERE id = ANY($1::uuid[]) AND status = 'confirmed'`,
      [seatIDs],
    );
    return Number(rows[0]!.n);
  } finally {
    await c.end();
  }
}

function countBy(values: readonly unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}
