import http from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { request } from '../helpers/http.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { testStores } from '../helpers/stores.js';

/*
 * The hidden cost of a waiting room: 5,000 clients waiting on its stream. The service runs as a process
 * of its own (on PostgreSQL), so that its memory and CPU are measured apart from the 5,000 clients, and
 * the database's transaction count shows that waiting clients make it read nothing.
 */
const CLIENTS = Number(process.env.QUEUE_CROWD_CLIENTS ?? 5000);
const WINDOW_MS = 20_000;
const postgres = (await testStores()).find((s) => s.name === 'postgres');

/** Resident memory (bytes) and CPU time used so far (ms) of a process, from /proc. */
function usage(pid: number) {
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  // Fields 14 and 15 of /proc/<pid>/stat (after the command in parentheses): user and system ticks.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rss, cpuMs: (ticks * 1000) / 100, at: Date.now() };
}

/** Samples the service for `ms`: the lowest heap in use (after collections) and the highest RSS. */
async function sample(base: string, pid: number, ms: number) {
  let heap = Infinity;
  let rss = 0;
  for (const end = Date.now() + ms; Date.now() < end;) {
    const text = await (await fetch(`${base}/metrics`)).text();
    heap = Math.min(heap, Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)![1]));
    rss = Math.max(rss, usage(pid).rss);
    await new Promise((r) => setTimeout(r, 500));
  }
  return { heap, rss };
}

const transactions = async (c: pg.Client) =>
  Number(
    (await c.query('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).rows[0]
      .xact_commit,
  );

const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);

/** A bare stream client: counts the messages by type, nothing kept. */
class Waiter {
  status = 0;
  progress = 0;
  ended = false;
  private constructor(private readonly req: http.ClientRequest) {}

  static open(url: string, session: string): Promise<Waiter> {
    return new Promise((resolve, reject) => {
      const req = http.get(url, { agent: false, headers: { 'x-session-id': session } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          waiter.status += chunk.split('"type":"status"').length - 1;
          waiter.progress += chunk.split('"type":"progress"').length - 1;
        });
        res.on('close', () => (waiter.ended = true));
        resolve(waiter);
      });
      const waiter = new Waiter(req);
      req.on('error', reject);
    });
  }

  close(): void {
    this.req.destroy();
  }
}

/** Runs `fn` over `items`, `n` at a time. */
async function pooled<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

describe.skipIf(!postgres)(`${CLIENTS} clients waiting on the queue stream`, () => {
  let db: { env: Record<string, string>; drop(): Promise<void> };
  let server: ServerProcess;
  let stats: pg.Client;
  const waiters: Waiter[] = [];

  beforeAll(async () => {
    db = await postgres!.create();
    server = await startServer({
      ...db.env,
      ADMIN_TOKEN,
      SEED_DEMO: 'false',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    });
    stats = new pg.Client({ connectionString: db.env.DATABASE_URL });
    await stats.connect();
  }, 120_000);

  afterAll(async () => {
    waiters.forEach((w) => w.close());
    await stats?.end();
    server?.child.kill('SIGTERM');
    await server?.exited;
    await db?.drop();
  }, 60_000);

  it(
    'costs the service little memory and CPU, and the database nothing per client',
    { timeout: 300_000 },
    async () => {
      const call = (method: string, path: string, o?: Parameters<typeof request>[3]) =>
        request(server.base, method, path, o);
      const event = await call('POST', '/api/events', {
        admin: ADMIN_TOKEN,
        body: { name: 'On-sale', currency: 'EUR', layout: { rows: 10, seatsPerRow: 20, price: 2500 } },
      });
      const eventID: string = event.body.eventID;
      // Opened already; 600 a minute: admissions (and so progress messages and admitted lookups) go on
      // throughout the measurement, as in a real on-sale.
      const opensAt = new Date(Date.now() - 1000).toISOString();
      const put = await call('PUT', `/api/events/${eventID}/queue`, {
        admin: ADMIN_TOKEN,
        body: { opensAt, admitPerMinute: 600, admissionSeconds: 600 },
      });
      expect(put.status).toBe(200);

      let started = Date.now();
      const sessions = await pooled(Array.from({ length: CLIENTS }), 32, async () => {
        const sid: string = (await call('POST', '/api/sessions')).body.sessionID;
        expect((await call('POST', `/api/events/${eventID}/queue`, { session: sid })).status).toBe(201);
        return sid;
      });
      const joinSeconds = (Date.now() - started) / 1000;

      const pid = server.child.pid!;
      const before = await sample(server.base, pid, 5000);
      const url = `${server.base}/api/events/${eventID}/queue/stream`;
      started = Date.now();
      waiters.push(...(await pooled(sessions, 64, (sid) => Waiter.open(url, sid))));
      const connectSeconds = (Date.now() - started) / 1000;
      const deadline = Date.now() + 30_000;
      while (waiters.some((w) => w.status === 0) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(waiters.filter((w) => w.status === 0)).toHaveLength(0);

      // Steady state: every client connected and waiting; admissions going on.
      await new Promise((r) => setTimeout(r, 2000));
      const progressBefore = waiters.reduce((n, w) => n + w.progress, 0);
      const [from, xFrom] = [usage(pid), await transactions(stats)];
      const during = await sample(server.base, pid, WINDOW_MS);
      const [to, xTo] = [usage(pid), await transactions(stats)];
      const progressAfter = waiters.reduce((n, w) => n + w.progress, 0);

      const seconds = (to.at - from.at) / 1000;
      const grown = Math.max(during.rss - before.rss, during.heap - before.heap);
      const figures = {
        clients: CLIENTS,
        rssBeforeStreamsMiB: mib(before.rss),
        rssWithStreamsMiB: mib(during.rss),
        heapBeforeStreamsMiB: mib(before.heap),
        heapWithStreamsMiB: mib(during.heap),
        perClientKiB: +(grown / CLIENTS / 1024).toFixed(1),
        cpuPercentOfOneCore: +(((to.cpuMs - from.cpuMs) / (seconds * 1000)) * 100).toFixed(1),
        dbTransactionsPerSecond: +((xTo - xFrom) / seconds).toFixed(1),
        progressPerClientPerSecond: +((progressAfter - progressBefore) / CLIENTS / seconds).toFixed(2),
        stillConnected: waiters.filter((w) => !w.ended).length,
        joinSeconds,
        connectSeconds,
      };
      console.log('queue stream crowd:', JSON.stringify(figures));

      expect(figures.stillConnected).toBe(CLIENTS);
      // Every waiting client hears the queue move (once a second at most).
      expect(figures.progressPerClientPerSecond).toBeGreaterThan(0.5);
      // Generous bounds: this machine is shared, and the figures go to the README, not to a contest.
      expect(figures.perClientKiB).toBeLessThan(100);
      expect(figures.cpuPercentOfOneCore).toBeLessThan(60);
      // The database does one admission step per step and one read per admitted client, besides the
      // service's own periodic jobs: a few dozen transactions a second (45-65 measured here). Clients
      // polling would be thousands; the bound only has to tell the two apart, on a busy machine too.
      expect(figures.dbTransactionsPerSecond).toBeLessThan(250);
    },
  );
});
