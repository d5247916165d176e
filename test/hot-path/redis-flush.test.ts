import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/infra/redis/scripts.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { freePort, startRedis, stopRedis } from '../helpers/redis-server.js';
import { testStores } from '../helpers/stores.js';

const store = (await testStores()).find((s) => s.name === 'redis');

// A Redis of this file's own: FLUSHALL on the shared one would wipe other suites' keys.
describe.runIf(store)('Redis flushed in the middle of an on-sale', () => {
  let redis: ChildProcess;
  let url: string;
  let t: TestApp;
  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    url = `redis://127.0.0.1:${port}`;
    t = await startApp(store!, { env: { REDIS_URL: url, MAX_SEATS_PER_SESSION: '4' } });
  });
  afterAll(async () => {
    await t?.close();
    if (redis) await stopRedis(redis);
  });

  it('the next locks rebuild sold seats and sessions from the database and never sell a seat twice', async () => {
    const { eventID, seatIDs } = await t.api.event({ rows: 3, seatsPerRow: 10, price: 500 });
    const customerID = await t.api.customer();
    const buyers = await Promise.all(Array.from({ length: 5 }, () => t.api.session()));
    const sold = seatIDs.slice(0, 10);
    for (const [i, sid] of buyers.entries()) {
      const seats = sold.slice(i * 2, i * 2 + 2);
      expect((await t.api.post('/api/lock', { eventID, seatIDs: seats }, { session: sid })).status).toBe(200);
      const sale = await t.api.post(
        '/api/confirm',
        { eventID, customerID, payment: { token: 'tok_ok' } },
        { session: sid },
      );
      expect(sale.status).toBe(201);
    }

    const admin = new Redis(url);
    await admin.flushall();
    admin.disconnect();

    // 60 sessions (the earlier buyers among them, known only to the database now) race for all 30
    // seats, sold ones included, in groups of 1 to 3.
    const racers = [...buyers, ...(await Promise.all(Array.from({ length: 55 }, () => t.api.session())))];
    const wanted = racers.map((_, i) => seatIDs.slice(i % 28, (i % 28) + 1 + (i % 3)));
    const answers = await Promise.all(
      racers.map((sid, i) => t.api.post('/api/lock', { eventID, seatIDs: wanted[i] }, { session: sid })),
    );
    expect(answers.filter((a) => a.status !== 200 && a.status !== 409)).toEqual([]);
    const owner = new Map<string, number>();
    answers.forEach((a, i) => {
      if (a.status !== 200) return;
      for (const seat of wanted[i]!) {
        expect(sold, `sold seat ${seat} held again`).not.toContain(seat);
        expect(owner.has(seat), `seat ${seat} held twice`).toBe(false);
        owner.set(seat, i);
      }
    });
    expect(owner.size).toBeGreaterThan(0);
    // Every winner pays; the database holds each seat in at most one reservation.
    await Promise.all(
      [...new Set(owner.values())].map(async (i) => {
        const res = await t.api.post(
          '/api/confirm',
          { eventID, customerID, payment: { token: 'tok_ok' } },
          { session: racers[i] },
        );
        expect(res.status).toBe(201);
      }),
    );
    const { rows } = await t.container.db.query<{ seat_id: string; n: number }>(
      `SELECT seat_id, count(*)::int AS n FROM reservation_seats GROUP BY seat_id HAVING count(*) > 1`,
    );
    expect(rows).toEqual([]);
    const map = (await t.api.get(`/api/seats/${eventID}`)).body.seats;
    const confirmed = map.filter((s: any) => s.status === 'confirmed').map((s: any) => s.seatID);
    expect(confirmed.sort()).toEqual([...sold, ...owner.keys()].sort());
  });

  // A Redis hash of few short fields is kept compact (a listpack), where every field looked up is a
  // scan of them all: an on-sale event's holds must be a hash table however few seats are held yet.
  it("an event's holds are a hash table from its first lock, and again once rebuilt after a flush", async () => {
    const { eventID, seatIDs } = await t.api.event();
    const session = await t.api.session();
    const r = new Redis(url, { keyPrefix: t.config.REDIS_KEY_PREFIX });
    try {
      const lock = (i: number) => t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[i]] }, { session });
      expect((await lock(0)).status).toBe(200);
      expect(await r.object('ENCODING', keys.holds(eventID))).toBe('hashtable');
      await r.flushall();
      expect((await lock(1)).status).toBe(200);
      expect(await r.object('ENCODING', keys.holds(eventID))).toBe('hashtable');
      expect(await r.hlen(keys.holds(eventID))).toBe(2); // the seat, and the mark that the event is loaded
    } finally {
      r.disconnect();
    }
  });
});
