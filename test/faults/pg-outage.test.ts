import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import {
  buyer,
  consistency,
  createEvent,
  invariantsHold,
  must,
  percentile,
  Recorder,
  SeatPool,
  send,
  sleep,
  type Acknowledged,
  type Answer,
} from './load.js';
import { PgCluster, requirePostgresBinaries } from './pg-cluster.js';

const bin = requirePostgresBinaries();

const BUYERS = 8;
const OUTAGE_MS = 3000;
/** While PostgreSQL is down (connections refused), every answer must come back within this. */
// Generous for a busy machine: the service fails fast after the first connection failure (one connect
// timeout of 3 s at most per request), and a slow CI box must not turn that into a red run.
const FAST_MS = 8000;
/**
 * While PostgreSQL hangs, nothing answers: the service's own timeouts must end each request. The worst case
 * (src/infra/db/postgres.ts) is a wait for a pool connection (3 s), one query timeout (statement_timeout
 * 10 s + 1 s) and the second the idempotency service gives itself to free a key (src/services).
 */
const QUERY_TIMEOUT_MS = 11_000;
const HUNG_BOUND_MS = 3000 + QUERY_TIMEOUT_MS + 1000;
const FREEZE_MS = HUNG_BOUND_MS + 1000;
// A cached seat map lives a second; this adds room for a busy machine to answer it.
const MAP_CACHE_SLACK_MS = 2500;
const RECOVERY_BOUND_MS = 10_000;

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

const all = (o: Record<string, boolean>) => Object.fromEntries(Object.keys(o).map((k) => [k, true]));

describe.skipIf(!bin)('PostgreSQL goes away mid-load and comes back', () => {
  let cluster: PgCluster;
  let server: ServerProcess | undefined;
  let base: string;
  let eventID: string;
  let customerID: string;
  let pool: SeatPool;
  const acks: Acknowledged[] = [];

  beforeAll(async () => {
    cluster = await PgCluster.create(bin!);
    server = await startServer({
      DATABASE_URL: cluster.url,
      ADMIN_TOKEN,
      SEED_DEMO: 'false',
      RATE_LIMIT_PER_MINUTE: '0',
      LOCK_TTL_SECONDS: '60',
      // The cleanup job runs through the outage too: it must fail quietly and carry on.
      CLEANUP_INTERVAL_SECONDS: '1',
      DB_POOL_SIZE: '10',
    });
    base = server.base;
    const event = await createEvent(base, 2000);
    eventID = event.eventID;
    pool = new SeatPool(event.seatIDs);
    customerID = (await must(base, 'POST', '/api/customers', { body: { name: 'Outage' } })).customerID;
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await cluster?.destroy();
  });

  /** Buyers on the service and a /readyz poller, until `stop()`. */
  function load() {
    const rec = new Recorder();
    const ready: Answer[] = [];
    let running = true;
    const buyers = Array.from({ length: BUYERS }, () =>
      buyer({
        bases: () => [base],
        eventID,
        customerID,
        pool,
        recorder: rec,
        running: () => running,
        // A customer keeps retrying through the outage; every request must end with a definite answer.
        retryForMs: 40_000,
        backoffMs: 100,
        hopeless: () => server!.child.exitCode !== null,
      }),
    );
    const poller = (async () => {
      while (running) {
        ready.push(await send(base, 'GET', '/readyz'));
        await sleep(100);
      }
    })();
    return {
      rec,
      ready,
      saleSince: (t: number) =>
        rec.answers.some((a) => a.path === '/api/confirm' && a.status === 201 && a.at >= t),
      async stop() {
        running = false;
        await Promise.all([...buyers, poller]);
        acks.push(...rec.acks);
      },
    };
  }

  /** What every phase must show, whatever the fault. */
  async function commonChecks(rec: Recorder, ready: Answer[], boundMs: number, label: string) {
    const api = rec.answers;
    const fivexx = api.filter((a) => a.status !== 'network' && a.status >= 500);
    const latencies = api.map((a) => a.ms);
    const c = await consistency(cluster.url, eventID, acks);
    console.log(
      `${label}: ${api.length} requests, ${fivexx.length} answered 5xx, ${rec.acks.length} confirms acknowledged; ` +
        `latency p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${Math.max(...latencies)} ms; ` +
        `database: ${c.confirmed} seats sold, ${c.pending} orders left pending (voided later by the cleanup job)`,
    );
    expect(server!.child.exitCode, `the service process died:\n${server!.output().slice(-3000)}`).toBeNull();
    expect(
      api.filter((a) => a.status === 'network').map((a) => `${a.method} ${a.path} ${a.error}`),
      'requests without an answer',
    ).toEqual([]);
    expect(
      fivexx.filter((a) => a.status !== 503).map((a) => `${a.method} ${a.path} ${a.status}`),
      '5xx other than 503',
    ).toEqual([]);
    expect(
      [...fivexx, ...ready.filter((a) => a.status === 503)]
        .filter((a) => a.retryAfter === null || a.body?.error !== 'SERVICE_UNAVAILABLE')
        .map((a) => `${a.method} ${a.path}`),
      '503 without Retry-After or SERVICE_UNAVAILABLE',
    ).toEqual([]);
    expect(
      [...api, ...ready]
        .filter((a) => a.ms > boundMs)
        .map((a) => `${a.method} ${a.path} ${a.status} ${a.ms} ms`),
      'slow answers',
    ).toEqual([]);
    // Every customer got a definite answer in the end, and nothing acknowledged was lost or half-written.
    expect(
      rec.undecided.map((a) => `${a.method} ${a.path} ${a.status}`),
      'never answered for sure',
    ).toEqual([]);
    expect(invariantsHold(c)).toEqual(all(invariantsHold(c)));
    expect(server!.output()).not.toMatch(/unhandled error|uncaught/i);
  }

  /**
   * Lock requests stuck inside their transactions: a connection of our own holds row locks on a few seats,
   * and the service's lock requests for them queue behind it in the database, mid-transaction.
   */
  async function stuckInTransactions(n: number) {
    const contended = pool.take(n);
    const blocker = new pg.Client({ connectionString: cluster.url });
    blocker.on('error', () => undefined);
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM seats WHERE id = ANY($1::uuid[]) FOR UPDATE', [contended]);
    const sessions = await Promise.all(
      contended.map(async () => (await must(base, 'POST', '/api/sessions')).sessionID),
    );
    const blocked = contended.map((seat, i) =>
      send(base, 'POST', '/api/lock', { session: sessions[i], body: { eventID, seatIDs: [seat] } }),
    );
    const lockWaits = async () =>
      Number(
        (
          await blocker.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'seats'`,
          )
        ).rows[0]!.n,
      );
    // Polled, so the bound can be generous: on a busy machine (suites side by side) a lock request once
    // took over 5 s to reach its row lock.
    const queuedBy = Date.now() + 30_000;
    while ((await lockWaits()) < n && Date.now() < queuedBy) await sleep(50);
    expect(await lockWaits(), 'lock requests were not queued in the database').toBe(n);
    return {
      /** Their answers; the blocker lets go (if its server is still there) and the seats go back. */
      async answers() {
        const answers = await Promise.all(blocked);
        await blocker.end().catch(() => undefined);
        pool.giveBack(contended);
        return answers;
      },
    };
  }

  it('stopped (-m immediate) with transactions in flight: fast 503s, /readyz 503, recovers by itself', async () => {
    const l = load();
    expect(await until(() => l.rec.acks.length >= 10, 10_000), 'no sales before the outage').toBe(true);

    // Make sure transactions are mid-flight when the database dies.
    const stuck = await stuckInTransactions(3);
    const stopAt = Date.now();
    await cluster.stop('immediate');
    const downAt = Date.now();
    const acksBefore = l.rec.acks.length;
    await sleep(OUTAGE_MS);
    const restartAt = Date.now();
    await cluster.start();
    const upAt = Date.now();
    const recovered = await until(() => l.saleSince(upAt), RECOVERY_BOUND_MS);
    const recoveredAt = Date.now();
    await sleep(1000);
    await l.stop();
    const cutOff = await stuck.answers();

    const during = l.rec.answers.filter((a) => a.at >= downAt && a.at + a.ms <= restartAt);
    const readyDuring = l.ready.filter((a) => a.at >= downAt && a.at + a.ms <= restartAt);
    const readyAgain = l.ready.find((a) => a.at >= upAt && a.status === 200);
    console.log(
      `PG stop -m immediate for ${OUTAGE_MS} ms (stop took ${downAt - stopAt} ms, start ${upAt - restartAt} ms): ` +
        `${during.length} requests while down, ${during.filter((a) => a.status === 503).length} of them 503; ` +
        `${acksBefore} sales before, ${l.rec.acks.length - acksBefore} after; /readyz 200 again ` +
        `${readyAgain ? readyAgain.at + readyAgain.ms - upAt : 'never'} ms and first sale ` +
        `${recovered ? recoveredAt - upAt : 'never'} ms after PostgreSQL was back; ` +
        `the locks caught mid-transaction answered ${cutOff.map((a) => `${a.status} in ${a.ms} ms`).join(', ')}`,
    );
    await commonChecks(l.rec, l.ready, FAST_MS, 'PG stop');
    // The transactions caught by the crash were answered 503, fast, like everything else while it was down.
    expect(cutOff.map((a) => a.status)).toEqual([503, 503, 503]);
    expect(cutOff.every((a) => a.retryAfter !== null && a.at + a.ms - stopAt < FAST_MS)).toBe(true);
    // The fault bit: while PostgreSQL was down, everything that needed it was a 503, and readiness said so.
    expect(during.length).toBeGreaterThan(BUYERS);
    // A seat map may still come from its cached document (at most a second old); nothing else answers.
    expect(
      during
        .filter((a) => a.status !== 503 && !(a.path.startsWith('/api/seats/') && a.status === 200))
        .map((a) => `${a.path} ${a.status}`),
    ).toEqual([]);
    expect(readyDuring.length).toBeGreaterThan(5);
    expect(readyDuring.filter((a) => a.status !== 503)).toEqual([]);
    // ...and it came back without a restart of the service.
    expect(recovered, 'no sale after PostgreSQL came back').toBe(true);
    expect(readyAgain, '/readyz never turned 200 again').toBeDefined();
    expect(l.ready.at(-1)?.status).toBe(200);
  }, 90_000);

  it('hung (SIGSTOP) longer than any timeout: bounded 503s instead of a hang, recovers by itself', async () => {
    const l = load();
    expect(await until(() => l.rec.acks.length >= 5, 10_000), 'no sales before the hang').toBe(true);
    // Some requests hang mid-transaction: after their query times out, nothing else may wait on the
    // frozen connection (a ROLLBACK would queue behind the stuck query for another timeout).
    const stuck = await stuckInTransactions(3);
    const frozenAt = Date.now();
    cluster.freeze();
    const acksBefore = l.rec.acks.length;
    await sleep(FREEZE_MS);
    const thawAt = Date.now();
    cluster.thaw();
    const recovered = await until(() => l.saleSince(thawAt), RECOVERY_BOUND_MS);
    const recoveredAt = Date.now();
    await sleep(1000);
    await l.stop();
    const cutOff = await stuck.answers();

    // Everything answered while it hung (the requests stuck in it at the start, and later ones) was a 503.
    const answeredIn = (a: Answer) => a.at + a.ms > frozenAt + 200 && a.at + a.ms <= thawAt;
    const during = l.rec.answers.filter(answeredIn);
    const readyDuring = l.ready.filter(answeredIn);
    console.log(
      `PG SIGSTOP for ${FREEZE_MS} ms: ${during.length} requests answered during the hang ` +
        `(${during.filter((a) => a.status === 503).length} of them 503, slowest ${Math.max(0, ...during.map((a) => a.ms))} ms), ` +
        `${acksBefore} sales before, ${l.rec.acks.length - acksBefore} after; first sale ${recovered ? recoveredAt - thawAt : 'never'} ms after the thaw; ` +
        `the locks stuck mid-transaction answered ${cutOff.map((a) => `${a.status} in ${a.ms} ms`).join(', ')}`,
    );
    await commonChecks(l.rec, l.ready, HUNG_BOUND_MS, 'PG SIGSTOP');
    expect(cutOff.map((a) => `${a.status} ${a.retryAfter !== null}`)).toEqual(cutOff.map(() => '503 true'));
    expect(cutOff.filter((a) => a.ms > HUNG_BOUND_MS).map((a) => `${a.ms} ms`)).toEqual([]);
    expect(during.length, 'nothing came back while PostgreSQL hung').toBeGreaterThanOrEqual(BUYERS / 2);
    // A seat map may come from its cached document (at most a second old) early in the hang; later, or
    // anything else, must be a 503.
    const fromCache = (a: Answer) =>
      a.path.startsWith('/api/seats/') && a.status === 200 && a.at + a.ms <= frozenAt + MAP_CACHE_SLACK_MS;
    expect(
      during.filter((a) => a.status !== 503 && !fromCache(a)).map((a) => `${a.path} ${a.status}`),
    ).toEqual([]);
    expect(readyDuring.length).toBeGreaterThan(0);
    expect(readyDuring.filter((a) => a.status !== 503)).toEqual([]);
    expect(recovered, 'no sale after PostgreSQL thawed').toBe(true);
    expect(l.ready.at(-1)?.status).toBe(200);

    // A service that lived through both faults still shuts down cleanly.
    server!.child.kill('SIGTERM');
    expect(await server!.exited).toBe(0);
  }, 90_000);
});
