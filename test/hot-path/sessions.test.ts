import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/infra/clock.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';

const TTL_SECONDS = 120; // lag allowed: min(60 s, TTL / 10) = 12 s

for (const store of await testStores()) {
  describe(`session expiry without a write per request on ${store.name} (manual clock)`, () => {
    let t: TestApp;
    let clock: ManualClock;
    beforeAll(async () => {
      t = await startApp(store, { clock: 'manual', env: { SESSION_TTL_SECONDS: String(TTL_SECONDS) } });
      clock = t.clock as ManualClock;
    });
    afterAll(() => t.close());

    const storedExpiry = async () =>
      (await t.container.db.query<{ expires_at: Date }>('SELECT expires_at FROM sessions')).rows.map((r) =>
        r.expires_at.getTime(),
      );

    it('a session used every 30 s for 5 minutes never expires; one idle past its TTL is gone', async () => {
      const { eventID, seatIDs } = await t.api.event();
      const busy = await t.api.session();
      const idle = await t.api.session();
      for (let i = 0; i < 10; i++) {
        clock.advance(30_000);
        const res = await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: busy });
        expect(res.status, `after ${(i + 1) * 30} s`).toBe(200);
        expect((await t.api.get(`/api/seats/${eventID}`, { session: busy })).body.seats[0].lockedByMe).toBe(
          true,
        );
      }
      // 300 s in: far past the 120 s TTL of the idle one, which never came back.
      expect(
        (await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[1]] }, { session: idle })).status,
      ).toBe(401);
      // The busy one, idle from now on, lasts at least TTL − lag, and is gone after TTL.
      clock.advance((TTL_SECONDS - 12) * 1000 - 1);
      expect((await t.api.post('/api/cancel-lock', { eventID }, { session: busy })).status).toBe(200);
      clock.advance(TTL_SECONDS * 1000 + 1);
      expect((await t.api.post('/api/cancel-lock', { eventID }, { session: busy })).status).toBe(401);
    });

    it('requests within the lag write nothing for the session; the first one past it moves the expiry', async () => {
      const { eventID, seatIDs } = await t.api.event();
      await t.container.db.query('DELETE FROM sessions');
      const sid = await t.api.session();
      const [created] = await storedExpiry();
      for (let i = 0; i < 5; i++) {
        clock.advance(2_000);
        expect(
          (await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[2]] }, { session: sid })).status,
        ).toBe(200);
        expect(await storedExpiry()).toEqual([created]);
      }
      clock.advance(3_000); // 13 s since the last write: past the 12 s lag
      await t.api.get(`/api/seats/${eventID}`, { session: sid });
      expect(await storedExpiry()).toEqual([clock.now().getTime() + TTL_SECONDS * 1000]);
      // A lock, which checks its session itself, moves it the same way.
      clock.advance(13_000);
      expect(
        (await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[2]] }, { session: sid })).status,
      ).toBe(200);
      expect(await storedExpiry()).toEqual([clock.now().getTime() + TTL_SECONDS * 1000]);
    });
  });
}
