import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/infra/clock.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { engineStores } from '../helpers/stores.js';

// Holds of 600 s, capped at 900 s from when the hold began.
const env = { LOCK_TTL_SECONDS: '600', MAX_HOLD_SECONDS: '900', SESSION_TTL_SECONDS: '3600' };

for (const store of await engineStores()) {
  describe(`the hold cap on ${store.name} (manual clock)`, () => {
    let t: TestApp;
    let clock: ManualClock;
    beforeAll(async () => {
      t = await startApp(store, { clock: 'manual', env });
      clock = t.clock as ManualClock;
    });
    afterAll(() => t.close());

    it('refreshes stop extending the deadline at the beginning + MAX_HOLD_SECONDS', async () => {
      const { eventID, seatIDs } = await t.api.event();
      const sid = await t.api.session();
      const began = clock.now().getTime();
      const lock = (seats: string[]) =>
        t.api.post('/api/lock', { eventID, seatIDs: seats }, { session: sid });

      const first = await lock([seatIDs[0]!]);
      expect(Date.parse(first.body.lockUntil)).toBe(began + 600_000);
      clock.advance(200_000);
      // A refresh, and a new seat added to the hold: both get now + 600 s, still under the cap.
      const second = await lock([seatIDs[0]!, seatIDs[1]!]);
      expect(Date.parse(second.body.lockUntil)).toBe(began + 800_000);
      clock.advance(500_000); // 700 s in: now + 600 s would pass the cap, 900 s after the start
      expect(Date.parse((await lock([seatIDs[2]!])).body.lockUntil)).toBe(began + 900_000);
      const map = (await t.api.get(`/api/seats/${eventID}`, { session: sid })).body.seats;
      expect(map.slice(0, 3).map((s: any) => Date.parse(s.lockUntil))).toEqual(
        [1, 2, 3].map(() => began + 900_000),
      );

      clock.advance(200_001); // past the cap: the hold is over, and another session may take the seats
      const other = await t.api.session();
      expect(
        (await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: other })).status,
      ).toBe(200);
      // The capped session may start a new hold (on other seats), which begins now.
      const fresh = await lock([seatIDs[3]!]);
      expect(fresh.status).toBe(200);
      expect(fresh.body.seatIDs).toEqual([seatIDs[3]]);
      expect(Date.parse(fresh.body.lockUntil)).toBe(clock.now().getTime() + 600_000);
    });
  });
}
