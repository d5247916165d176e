import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { freePort, startRedis, stopRedis } from '../helpers/redis-server.js';
import { testStores } from '../helpers/stores.js';

const store = (await testStores()).find((s) => s.name === 'redis');

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

describe.runIf(store)('Redis stopped and restarted mid-test', () => {
  let port: number;
  let redis: ChildProcess;
  let t: TestApp;
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    t = await startApp(store!, { env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
  });
  afterAll(async () => {
    await t?.close();
    if (redis) await stopRedis(redis);
  });

  it('answers 503 with Retry-After quickly while Redis is down, keeps the listing, and recovers by itself', async () => {
    const { eventID, seatIDs } = await t.api.event();
    const [a, b] = [await t.api.session(), await t.api.session()];
    const customerID = await t.api.customer();
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
    expect(
      (
        await t.api.post(
          '/api/confirm',
          { eventID, customerID, payment: { token: 'tok_ok' } },
          { session: a },
        )
      ).status,
    ).toBe(201);
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[1]] }, { session: b });
    expect((await t.api.get('/readyz')).body.checks).toEqual({ database: true, redis: true });

    await stopRedis(redis);
    const charges = t.payments.charges.size;
    const calls = {
      lock: () => t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[2]] }, { session: a }),
      cancel: () => t.api.post('/api/cancel-lock', { eventID }, { session: b }),
      confirm: () =>
        t.api.post('/api/confirm', { eventID, customerID, payment: { token: 'tok_ok' } }, { session: b }),
    };
    for (const [name, call] of Object.entries(calls)) {
      const { value: res, ms } = await timed(call);
      expect(res.status, name).toBe(503);
      expect(res.body.error, name).toBe('SERVICE_UNAVAILABLE');
      expect(res.headers['retry-after'], name).toBeDefined();
      expect(ms, name).toBeLessThan(1500);
    }
    expect(t.payments.charges.size).toBe(charges);

    // The seat map still serves the sales, and says that it cannot show holds.
    const listing = await t.api.get(`/api/seats/${eventID}`, { session: b });
    expect(listing.status).toBe(200);
    expect(listing.body.holdsUnavailable).toBe(true);
    expect(listing.body.seats[0].status).toBe('confirmed');
    expect(listing.body.seats.slice(1).every((s: any) => s.status === 'available')).toBe(true);
    expect((await t.api.get('/api/events')).status).toBe(200);
    const ready = await t.api.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.headers['retry-after']).toBeDefined();
    expect(ready.body.checks).toEqual({ database: true, redis: false });

    // Same port, empty (no persistence): holds made before are gone, sales are not.
    redis = await startRedis(port);
    const deadline = Date.now() + 10_000;
    while ((await t.api.get('/readyz')).status !== 200) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    // A map built during the outage is served for up to a second more (a shield for the database while
    // Redis is away); then it is built again, with holds.
    let after = await t.api.get(`/api/seats/${eventID}`, { session: b });
    while (after.body.holdsUnavailable) {
      expect(Date.now()).toBeLessThan(deadline + 5_000);
      await new Promise((r) => setTimeout(r, 100));
      after = await t.api.get(`/api/seats/${eventID}`, { session: b });
    }
    expect(after.body.holdsUnavailable).toBeUndefined();
    expect(after.body.seats[0].status).toBe('confirmed');
    const relock = await t.api.post(
      '/api/lock',
      { eventID, seatIDs: [seatIDs[0], seatIDs[2]] },
      { session: a },
    );
    expect(relock.body).toMatchObject({ error: 'SEATS_UNAVAILABLE', unavailable: [seatIDs[0]] });
    const lock = await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[2]] }, { session: a });
    expect(lock.status).toBe(200);
    const sale = await t.api.post(
      '/api/confirm',
      { eventID, customerID, payment: { token: 'tok_ok' } },
      { session: a },
    );
    expect(sale.status).toBe(201);
    expect(sale.body.reservation.seatIDs).toEqual([seatIDs[2]]);
  });

  it('a hung Redis (SIGSTOP) is a 503 within the command timeout, not a hang', async () => {
    const { eventID, seatIDs } = await t.api.event();
    const a = await t.api.session();
    redis.kill('SIGSTOP');
    try {
      const { value: res, ms } = await timed(() =>
        t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a }),
      );
      expect(res.status).toBe(503);
      expect(ms).toBeLessThan(3000);
    } finally {
      redis.kill('SIGCONT');
    }
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
      if (res.status === 200) break;
      expect(res.status).toBe(503);
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('logout while Redis hangs is a quick 503; once Redis is back the session is over and locks nothing', async () => {
    const { eventID, seatIDs } = await t.api.event();
    const [a, b] = [await t.api.session(), await t.api.session()];
    expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a })).status).toBe(
      200,
    );
    redis.kill('SIGSTOP');
    try {
      const { value: res, ms } = await timed(() => t.api.delete('/api/sessions/current', { session: a }));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(ms).toBeLessThan(3000);
    } finally {
      redis.kill('SIGCONT');
    }
    const deadline = Date.now() + 10_000;
    while ((await t.api.get('/readyz')).status !== 200) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The hung command may or may not have run once Redis woke up: the retry either ends the session
    // (204) or finds it already ended in Redis (401). Either way it locks nothing any more.
    expect([204, 401]).toContain((await t.api.delete('/api/sessions/current', { session: a })).status);
    expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[1]] }, { session: a })).status).toBe(
      401,
    );
    expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[1]] }, { session: b })).status).toBe(
      200,
    );
  });
});
