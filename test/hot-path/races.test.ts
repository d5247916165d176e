import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { expectHoldsListed } from '../helpers/invariants.js';
import { testStores } from '../helpers/stores.js';

for (const store of await testStores()) {
  describe(`a lock racing a logout on ${store.name}`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp(store);
    });
    afterAll(() => t.close());

    it('never leaves a hold behind: either the logout releases it or the lock is refused', async () => {
      const { eventID, seatIDs } = await t.api.event({ rows: 4, seatsPerRow: 10, price: 100 });
      const outcomes = { locked: 0, refused: 0 };
      for (let round = 0; round < 40; round++) {
        const sid = await t.api.session();
        const seat = seatIDs[round]!;
        const [lock, logout] = await Promise.all([
          t.api.post('/api/lock', { eventID, seatIDs: [seat] }, { session: sid }),
          t.api.delete('/api/sessions/current', { session: sid }),
        ]);
        expect(logout.status).toBe(204);
        expect([200, 401]).toContain(lock.status);
        outcomes[lock.status === 200 ? 'locked' : 'refused']++;
        const shown = (await t.api.get(`/api/seats/${eventID}`)).body.seats.find(
          (s: any) => s.seatID === seat,
        );
        expect(shown.status, `round ${round}: lock ${lock.status}`).toBe('available');
        // And a newcomer can take it at once.
        const other = await t.api.session();
        expect((await t.api.post('/api/lock', { eventID, seatIDs: [seat] }, { session: other })).status).toBe(
          200,
        );
      }
      expect(outcomes.locked + outcomes.refused).toBe(40);
      await expectHoldsListed(t.container.db, eventID);
    });
  });
}
