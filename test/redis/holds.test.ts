import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/infra/clock.js';
import { defineHoldScripts, keys, type HoldScripts } from '../../src/infra/redis/scripts.js';
import { hashToken } from '../../src/services/session.service.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { pickRandom } from '../helpers/http.js';
import { testStores } from '../helpers/stores.js';

const store = (await testStores()).find((s) => s.name === 'redis');

/** A client on the app's own key prefix, to look at what the holds left in Redis. */
const peek = (t: TestApp) => new Redis(t.config.REDIS_URL!, { keyPrefix: t.config.REDIS_KEY_PREFIX });
const holdsKey = keys.holds;
/** The per-session seat sets of an event: what Redis drops by itself when the holds are over. */
async function sessionSets(r: Redis, prefix: string, eventID: string): Promise<string[]> {
  return r.keys(`${prefix}${keys.mine(eventID, '*')}`);
}

describe.runIf(store)('seat holds in Redis', () => {
  describe('expiry with no cleanup job (wall clock, LOCK_TTL_SECONDS=1)', () => {
    let t: TestApp;
    let r: Redis;
    beforeAll(async () => {
      // startApp never starts the cleanup job: whatever frees a seat here is Redis's own expiry.
      t = await startApp(store!, { env: { LOCK_TTL_SECONDS: '1' } });
      r = peek(t);
    });
    afterAll(async () => {
      r.disconnect();
      await t.close();
    });

    it("a hold is over at its deadline with no cleanup job; its session's set leaves Redis by itself", async () => {
      const { eventID, seatIDs } = await t.api.event();
      const a = await t.api.session();
      const b = await t.api.session();
      expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a })).status).toBe(
        200,
      );
      const [set] = await sessionSets(r, t.config.REDIS_KEY_PREFIX, eventID);
      const ttl = await r.pttl(set!.slice(t.config.REDIS_KEY_PREFIX.length));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1000);
      expect(await r.hget(holdsKey(eventID), seatIDs[0]!)).toMatch(/^[0-9a-f-]{36}\|\d+\|\d+$/);
      expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: b })).status).toBe(
        409,
      );

      await new Promise((resolve) => setTimeout(resolve, 1300));
      expect(await sessionSets(r, t.config.REDIS_KEY_PREFIX, eventID)).toEqual([]);
      const seat = (await t.api.get(`/api/seats/${eventID}`, { session: a })).body.seats[0];
      expect(seat).toMatchObject({ status: 'available', lockUntil: null, lockedByMe: false });
      expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: b })).status).toBe(
        200,
      );
    });
  });

  describe('on a manual clock', () => {
    let t: TestApp;
    let clock: ManualClock;
    let r: Redis;
    beforeAll(async () => {
      t = await startApp(store!, {
        clock: 'manual',
        env: { LOCK_TTL_SECONDS: '600', SESSION_TTL_SECONDS: '300', MAX_SEATS_PER_SESSION: '10' },
      });
      clock = t.clock as ManualClock;
      r = peek(t);
    });
    afterAll(async () => {
      r.disconnect();
      await t.close();
    });

    it("holds follow the service's clock, not Redis's: a key still in Redis reads as free once past", async () => {
      const { eventID, seatIDs } = await t.api.event();
      const [a, b] = [await t.api.session(), await t.api.session()];
      await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
      const keepAlive = async (ms: number) => {
        clock.advance(ms);
        await t.api.get(`/api/seats/${eventID}`, { session: a });
        await t.api.get(`/api/seats/${eventID}`, { session: b });
      };
      for (let i = 0; i < 5; i++) await keepAlive(119_000);
      // 595 s on the service's clock, of a 600 s hold: still live.
      expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: b })).status).toBe(
        409,
      );
      await keepAlive(5_000);
      const [set] = await sessionSets(r, t.config.REDIS_KEY_PREFIX, eventID);
      // Wall time: barely started, so Redis still keeps the hold.
      expect(await r.pttl(set!.slice(t.config.REDIS_KEY_PREFIX.length))).toBeGreaterThan(500_000);
      expect((await t.api.get(`/api/seats/${eventID}`)).body.seats[0].status).toBe('available');
      expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: b })).status).toBe(
        200,
      );
    });

    it('an idle session that dies keeps its holds until the cleanup sweep frees them; logout frees at once', async () => {
      const { eventID, seatIDs } = await t.api.event();
      const [idle, leaving] = [await t.api.session(), await t.api.session()];
      await t.api.post('/api/lock', { eventID, seatIDs: seatIDs.slice(0, 2) }, { session: idle });
      await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[2]] }, { session: leaving });
      expect((await t.api.delete('/api/sessions/current', { session: leaving })).status).toBe(204);
      expect((await t.api.get(`/api/seats/${eventID}`)).body.seats[2].status).toBe('available');

      clock.advance(301_000); // the idle session expires; its 600 s holds do not
      const other = await t.api.session();
      expect((await t.api.get(`/api/seats/${eventID}`)).body.seats[0].status).toBe('locked');
      const report = await t.container.cleanup.runOnce();
      // Both seats of the idle session (earlier tests' dead sessions may add theirs).
      expect(report.deadSessions).toBeGreaterThanOrEqual(2);
      const seats = (await t.api.get(`/api/seats/${eventID}`)).body.seats;
      expect(seats.filter((s: any) => s.status !== 'available')).toEqual([]);
      expect((await t.container.cleanup.runOnce()).deadSessions).toBe(0);
      expect(
        (await t.api.post('/api/lock', { eventID, seatIDs: seatIDs.slice(0, 3) }, { session: other })).status,
      ).toBe(200);
    });

    it('a lock that meets a logout halfway (ended in Redis, its events not yet visited) leaves no hold', async () => {
      const { eventID, seatIDs } = await t.api.event();
      const sid = await t.api.session();
      // The session was made on this instance, which therefore sends its check and its hold together.
      const session = keys.session(hashToken(sid));
      await r.hset(session, 'ended', '1');
      expect(
        (await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: sid })).status,
      ).toBe(401);
      expect(await r.hget(holdsKey(eventID), seatIDs[0]!)).toBeNull();
      expect((await t.api.get(`/api/seats/${eventID}`)).body.seats[0].status).toBe('available');
      // Registered for the sweep all the same, in case the hold had outlived an instance that stopped.
      expect(await r.smembers(keys.sessionEvents(hashToken(sid)))).toContain(eventID);
    });

    it('a sale leaves a "sold" mark in Redis, which is how a lock, asking no database, knows the seat is taken', async () => {
      const { eventID, seatIDs } = await t.api.event();
      const a = await t.api.session();
      const customerID = await t.api.customer();
      await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
      const res = await t.api.post(
        '/api/confirm',
        { eventID, customerID, payment: { token: 'tok_ok' } },
        { session: a },
      );
      expect(res.status).toBe(201);
      expect(await r.hget(holdsKey(eventID), seatIDs[0]!)).toBe('sold');
      // The lock script alone refuses the seat.
      defineHoldScripts(r);
      const now = clock.now().getTime();
      const other = '33333333-3333-4333-8333-333333333333';
      const reply = await (r as unknown as HoldScripts).holdAcquire(
        4,
        keys.holds(eventID),
        keys.mine(eventID, other),
        keys.gone(eventID),
        keys.heads(eventID),
        other,
        now,
        now + 60_000,
        1_800_000,
        10,
        0,
        seatIDs[0]!,
        seatIDs[1]!,
      );
      expect(reply).toEqual(['unavailable', [seatIDs[0]]]);
      expect(await r.hget(holdsKey(eventID), seatIDs[1]!)).toBeNull();
    });

    it('lists a 10,000-seat event in one HGETALL, holds and sales merged', async () => {
      const { eventID, seatIDs } = await t.api.event({ rows: 100, seatsPerRow: 100, price: 100 });
      expect(seatIDs).toHaveLength(10_000);
      const holders = await Promise.all(Array.from({ length: 20 }, () => t.api.session()));
      const wanted = holders.map((_, i) => seatIDs.slice(i * 500, i * 500 + 5));
      const locks = await Promise.all(
        holders.map((session, i) => t.api.post('/api/lock', { eventID, seatIDs: wanted[i] }, { session })),
      );
      expect(locks.map((l) => l.status)).toEqual(holders.map(() => 200));
      const started = Date.now();
      const listing = await t.api.get(`/api/seats/${eventID}`, { session: holders[3] });
      const elapsed = Date.now() - started;
      expect(listing.body.seats).toHaveLength(10_000);
      const locked = listing.body.seats.filter((s: any) => s.status === 'locked').map((s: any) => s.seatID);
      expect(locked.sort()).toEqual(wanted.flat().sort());
      const mine = listing.body.seats.filter((s: any) => s.lockedByMe).map((s: any) => s.seatID);
      expect(mine.sort()).toEqual([...wanted[3]!].sort());
      expect(elapsed).toBeLessThan(2000);
    });
  });

  describe('all or nothing under 100 parallel clients on two instances', () => {
    let one: TestApp & { dbEnv: Record<string, string> };
    let two: TestApp;
    beforeAll(async () => {
      one = await startApp(store!, { env: { MAX_SEATS_PER_SESSION: '6' } });
      two = await startApp(store!, { shared: { env: one.dbEnv }, env: { MAX_SEATS_PER_SESSION: '6' } });
    });
    afterAll(async () => {
      await two.close();
      await one.close();
    });

    it('no seat is held by two sessions, losers hold nothing, and the listing equals the winners', async () => {
      const { eventID, seatIDs } = await one.api.event({ rows: 2, seatsPerRow: 15, price: 1000 });
      const apps = [one, two];
      const sids = await Promise.all(Array.from({ length: 100 }, () => one.api.session()));
      // Overlapping groups of 2 to 5 seats out of 30: most requests conflict with some other.
      const attempts = sids.map((sid, i) => ({
        sid,
        app: apps[i % 2]!,
        seats: pickRandom(seatIDs, 2 + (i % 4)),
      }));
      const answers = await Promise.all(
        attempts.map((a) => a.app.api.post('/api/lock', { eventID, seatIDs: a.seats }, { session: a.sid })),
      );
      expect(answers.filter((r) => r.status !== 200 && r.status !== 409)).toEqual([]);

      const owner = new Map<string, string>();
      answers.forEach((r, i) => {
        if (r.status !== 200) return;
        const { sid, seats } = attempts[i]!;
        expect([...r.body.seatIDs].sort()).toEqual([...seats].sort());
        for (const seat of seats) {
          expect(owner.get(seat), `seat ${seat} held by two sessions`).toBeUndefined();
          owner.set(seat, sid);
        }
      });
      expect(owner.size).toBeGreaterThan(0);
      // Holds only grow in this test: a seat some loser was told is taken must be a winner's now.
      answers.forEach((r, i) => {
        if (r.status !== 409) return;
        expect(r.body.error).toBe('SEATS_UNAVAILABLE');
        expect(r.body.unavailable.length).toBeGreaterThan(0);
        for (const seat of r.body.unavailable) {
          expect(attempts[i]!.seats).toContain(seat);
          expect(owner.has(seat)).toBe(true);
        }
      });

      const listing = (await two.api.get(`/api/seats/${eventID}`)).body.seats;
      const locked = listing.filter((s: any) => s.status === 'locked').map((s: any) => s.seatID);
      expect(locked.sort()).toEqual([...owner.keys()].sort());
      // Each session sees exactly its own seats as its own: winners theirs, losers none (all or nothing).
      for (const a of attempts) {
        const mine = (await one.api.get(`/api/seats/${eventID}`, { session: a.sid })).body.seats
          .filter((s: any) => s.lockedByMe)
          .map((s: any) => s.seatID);
        expect(mine.sort()).toEqual(
          [...owner]
            .filter(([, sid]) => sid === a.sid)
            .map(([seat]) => seat)
            .sort(),
        );
      }
    });
  });
});
