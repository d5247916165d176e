import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/clock.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { queueOf } from '../helpers/queue.js';
import { testStores } from '../helpers/stores.js';

// Two instances on one database (or one Redis): PGlite is one process, nothing to share.
const shared = (await testStores()).filter((s) => s.name !== 'pglite');

const RATE = 120;

describe.skipIf(shared.length === 0).each(shared.map((s) => [s.name, s] as const))(
  'two instances on %s',
  (_name, store) => {
    // One clock for both, moved by the test: the admissions of a minute take no minute.
    const clock = new ManualClock();
    let a: Awaited<ReturnType<typeof startApp>>;
    let b: TestApp;
    beforeAll(async () => {
      a = await startApp(store, { clock, queue: { timers: false } });
      b = await startApp(store, { clock, queue: { timers: false }, shared: { env: a.dbEnv } });
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    async function crowd(eventID: string, n: number) {
      const sessions: string[] = [];
      for (let i = 0; i < n; i++) {
        const on = i % 2 ? b : a;
        const sid = await on.api.session();
        expect((await queueOf(on).join(eventID, sid)).status).toBe(201);
        sessions.push(sid);
      }
      return sessions;
    }

    const admittedCount = async (eventID: string, sessions: string[]) => {
      const views = await Promise.all(sessions.map((s, i) => queueOf(i % 2 ? b : a).status(eventID, s)));
      return views.filter((v) => v.body.state === 'admitted').length;
    };

    it(`admit ${RATE} a minute in total, within ±10 %, spread evenly over the minute`, async () => {
      const { eventID } = await a.api.event();
      await queueOf(a).open(eventID, { opensInMs: 1000, admitPerMinute: RATE });
      const sessions = await crowd(eventID, 300);
      clock.advance(1000);
      // Both instances step every 250 ms, in turns that change: each tries to admit every time.
      const perTenSeconds: number[] = [];
      let last = 0;
      for (let ms = 0; ms < 60_000; ms += 250) {
        const order = (ms / 250) % 3 === 0 ? [b, a] : [a, b];
        await Promise.all(order.map((t) => queueOf(t).step(eventID)));
        if ((ms + 250) % 10_000 === 0) {
          const now = (await a.container.services.queue.step(eventID))!.admitted;
          perTenSeconds.push(now - last);
          last = now;
        }
        clock.advance(250);
      }
      const admitted = await admittedCount(eventID, sessions);
      expect(admitted).toBe(last);
      expect(admitted).toBeGreaterThanOrEqual(RATE * 0.9);
      expect(admitted).toBeLessThanOrEqual(RATE * 1.1);
      // Evenly: each ten seconds has its sixth of the minute (20), give or take the first admission.
      for (const n of perTenSeconds) expect(Math.abs(n - RATE / 6)).toBeLessThanOrEqual(2);
      // Both see the same queue, and its measured rate.
      const seen = [a, b].map((t) => t.container.services.queue.stats().find((s) => s.eventId === eventID)!);
      expect(seen[0]!.admitted).toBe(seen[1]!.admitted);
      for (const s of seen) expect(s.perMinute).toBeGreaterThan(RATE * 0.9);
    });

    it('an instance restarted mid-queue loses no place, and admissions go on in order', async () => {
      const { eventID } = await a.api.event();
      const q = queueOf(a);
      await q.open(eventID, { opensInMs: 1000, admitPerMinute: 60, admissionSeconds: 600 });
      const sessions = await crowd(eventID, 40);
      clock.advance(1000);
      await q.run(eventID, 10_000);
      const ranksOf = async (on: TestApp) => {
        const views = await Promise.all(sessions.map((s) => queueOf(on).status(eventID, s)));
        const admitted = views.filter((v) => v.body.state === 'admitted').length;
        return views.map((v) => (v.body.state === 'admitted' ? 0 : v.body.position + admitted));
      };
      const before = await ranksOf(a);
      expect(before.filter((r) => r === 0)).toHaveLength(11);

      // Instance b stops mid-queue and comes back on the same database (and Redis).
      await b.close();
      b = await startApp(store, { clock, queue: { timers: false }, shared: { env: a.dbEnv } });
      expect(await ranksOf(b)).toEqual(before);

      // Admissions go on from where they were, in rank order, whichever instance admits.
      for (let i = 0; i < 5; i++) {
        clock.advance(1000);
        await Promise.all([queueOf(b).step(eventID), queueOf(a).step(eventID)]);
      }
      const after = await ranksOf(b);
      const newly = before.map((r, i) => (r !== 0 && after[i] === 0 ? r : null)).filter((r) => r !== null);
      expect(newly.sort((x, y) => x - y)).toEqual([12, 13, 14, 15, 16]);
    });
  },
);
