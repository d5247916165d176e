import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/infra/clock.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { expectSalesInvariants } from '../helpers/invariants.js';
import { engineStores } from '../helpers/stores.js';
import { categories, smallVenue } from '../helpers/venues.js';

// Standing places held by count, all or nothing with seats, on every store and engine.
const env = { LOCK_TTL_SECONDS: '600', MAX_SEATS_PER_SESSION: '10' };

/** A venue of two seats and one standing area of `capacity` places at 3500 (category B). */
const venue = (capacity: number) => ({
  name: 'Club',
  currency: 'EUR',
  categories,
  sections: [{ name: 'Balcony', rows: [{ name: 'A', category: 'A', seats: 2 }] }],
  areas: [{ name: 'Floor', category: 'B', capacity }],
});

for (const store of await engineStores()) {
  describe(`standing places on ${store.name}`, () => {
    let t: TestApp;
    let clock: ManualClock;
    beforeAll(async () => {
      t = await startApp(store, { clock: 'manual', env });
      clock = t.clock as ManualClock;
    });
    afterAll(() => t.close());

    async function event(capacity: number) {
      const { eventID } = (await t.api.post('/api/events', venue(capacity), { admin: true })).body;
      const map = (await t.api.get(`/api/seats/${eventID}`)).body;
      return { eventID, seatIDs: map.seats.map((s: any) => s.seatID), areaID: map.areas[0].areaID };
    }
    const lock = (sid: string, body: object) => t.api.post('/api/lock', body, { session: sid });
    const available = async (eventID: string) =>
      (await t.api.get(`/api/seats/${eventID}`)).body.areas[0].available as number;

    it('holds places with seats, all or nothing; the map counts them; cancel lets them go', async () => {
      const { eventID, seatIDs, areaID } = await event(5);
      const a = await t.api.session();
      const first = await lock(a, { eventID, places: [{ areaID, quantity: 2 }] });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        eventID,
        seatIDs: [],
        places: [{ areaID, quantity: 2 }],
        lockUntil: expect.any(String),
      });
      expect(await available(eventID)).toBe(3);
      // More places and a seat in one step add to the hold.
      const second = await lock(a, { eventID, seatIDs: [seatIDs[0]], places: [{ areaID, quantity: 1 }] });
      expect(second.body).toMatchObject({ seatIDs: [seatIDs[0]], places: [{ areaID, quantity: 3 }] });
      expect(await available(eventID)).toBe(2);

      // Not enough room: nothing changes, the seat asked for with it included.
      const b = await t.api.session();
      const refused = await lock(b, { eventID, seatIDs: [seatIDs[1]], places: [{ areaID, quantity: 3 }] });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: 'SEATS_UNAVAILABLE', unavailable: [], soldOut: [areaID] });
      const map = (await t.api.get(`/api/seats/${eventID}`)).body;
      expect(map.seats[1].status).toBe('available');
      expect(map.areas[0].available).toBe(2);
      expect((await lock(b, { eventID, places: [{ areaID, quantity: 2 }] })).status).toBe(200);
      expect(await available(eventID)).toBe(0);

      // Named seats only with seatIDs; everything, places included, without.
      const named = await t.api.post('/api/cancel-lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
      expect(named.body).toEqual({ released: [seatIDs[0]] });
      const all = await t.api.post('/api/cancel-lock', { eventID }, { session: a });
      expect(all.body).toEqual({ released: [], releasedPlaces: [{ areaID, quantity: 3 }] });
      expect(await available(eventID)).toBe(3);
      // Without an event, too.
      const everywhere = await t.api.post('/api/cancel-lock', {}, { session: b });
      expect(everywhere.body).toEqual({ released: [], releasedPlaces: [{ areaID, quantity: 2 }] });
      expect(await available(eventID)).toBe(5);
    });

    it('refuses bad place requests with a 400 and counts places against the session limit', async () => {
      const { eventID, seatIDs, areaID } = await event(50);
      const other = await event(5);
      const sid = await t.api.session();
      const bad: [object, string][] = [
        [{ eventID }, 'VALIDATION_ERROR'],
        [{ eventID, seatIDs: [], places: [] }, 'VALIDATION_ERROR'],
        [{ eventID, places: [{ areaID: other.areaID, quantity: 1 }] }, 'VALIDATION_ERROR'],
        [{ eventID, places: [{ areaID: 'nope', quantity: 1 }] }, 'VALIDATION_ERROR'],
        [{ eventID, places: [{ areaID, quantity: 0 }] }, 'VALIDATION_ERROR'],
        [{ eventID, places: [{ areaID, quantity: 1.5 }] }, 'VALIDATION_ERROR'],
        [
          {
            eventID,
            places: [
              { areaID, quantity: 1 },
              { areaID, quantity: 1 },
            ],
          },
          'VALIDATION_ERROR',
        ],
        // A place's row ID is not a seat.
        [{ eventID, seatIDs: [other.seatIDs[0]] }, 'VALIDATION_ERROR'],
      ];
      for (const [body, error] of bad) {
        const res = await lock(sid, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error).toBe(error);
      }
      const tooMany = await lock(sid, { eventID, seatIDs: [seatIDs[0]], places: [{ areaID, quantity: 10 }] });
      expect(tooMany.status).toBe(422);
      expect(tooMany.body.error).toBe('TOO_MANY_SEATS');
      expect((await lock(sid, { eventID, places: [{ areaID, quantity: 8 }] })).status).toBe(200);
      const past = await lock(sid, { eventID, seatIDs, places: [{ areaID, quantity: 1 }] });
      expect(past.body).toMatchObject({ error: 'TOO_MANY_SEATS', requested: 11 });
      expect(await available(eventID)).toBe(42);
    });

    it('confirm buys the places held, at the area price; a refund puts them back on sale', async () => {
      const { eventID, seatIDs, areaID } = await event(10);
      const sid = await t.api.session();
      await lock(sid, { eventID, seatIDs: [seatIDs[1]], places: [{ areaID, quantity: 3 }] });
      const paid = await t.api.post(
        '/api/confirm',
        { eventID, customerID: await t.api.customer(), payment: { token: 'tok_ok' } },
        { session: sid },
      );
      expect(paid.status).toBe(201);
      expect(paid.body.reservation).toMatchObject({
        seatIDs: [seatIDs[1]],
        places: [{ areaID, quantity: 3 }],
      });
      expect(paid.body.order.amount).toBe(6500 + 3 * 3500);
      expect(await available(eventID)).toBe(7);
      const listed = (await t.api.get(`/api/events/${eventID}/reservations`, { admin: true })).body;
      expect(listed.reservations[0]).toMatchObject({
        seatIDs: [seatIDs[1]],
        places: [{ areaID, quantity: 3 }],
      });
      await expectSalesInvariants(t.container.db, eventID);

      const { reservationID } = paid.body.reservation;
      const refunded = await t.api.post(`/api/reservations/${reservationID}/cancel`, undefined, {
        admin: true,
      });
      expect(refunded.status).toBe(200);
      expect(refunded.body.reservation).toMatchObject({
        status: 'cancelled',
        places: [{ areaID, quantity: 3 }],
      });
      expect(await available(eventID)).toBe(10);
      const again = await t.api.session();
      expect((await lock(again, { eventID, places: [{ areaID, quantity: 10 }] })).status).toBe(200);
      await expectSalesInvariants(t.container.db, eventID);
    });

    it('finds the free places past a sold-out head of the area, and refunded ones before it', async () => {
      const { eventID, areaID } = await event(10);
      const buy = async (quantity: number) => {
        const sid = await t.api.session();
        expect((await lock(sid, { eventID, places: [{ areaID, quantity }] })).status).toBe(200);
        const paid = await t.api.post(
          '/api/confirm',
          { eventID, customerID: await t.api.customer(), payment: { token: 'tok_ok' } },
          { session: sid },
        );
        expect(paid.status).toBe(201);
        return paid.body.reservation.reservationID as string;
      };
      const first = await buy(4);
      // Locks after the sale walk past the sold places (and may remember where the free ones start).
      const a = await t.api.session();
      expect((await lock(a, { eventID, places: [{ areaID, quantity: 6 }] })).status).toBe(200);
      expect((await t.api.post('/api/cancel-lock', { eventID }, { session: a })).status).toBe(200);
      const b = await t.api.session();
      const tooMany = await lock(b, { eventID, places: [{ areaID, quantity: 7 }] });
      expect(tooMany.body).toMatchObject({ error: 'SEATS_UNAVAILABLE', soldOut: [areaID] });
      // A refund puts the first places back: a lock finds them although later places were looked at first.
      const refund = await t.api.post(`/api/reservations/${first}/cancel`, undefined, { admin: true });
      expect(refund.status).toBe(200);
      const all = await lock(b, { eventID, places: [{ areaID, quantity: 10 }] });
      expect(all.status).toBe(200);
      expect(all.body.places).toEqual([{ areaID, quantity: 10 }]);
      expect(await available(eventID)).toBe(0);
      await expectSalesInvariants(t.container.db, eventID);
    });

    it('places come back when the hold runs out, and when the session ends', async () => {
      const { eventID, areaID } = await event(4);
      const a = await t.api.session();
      expect((await lock(a, { eventID, places: [{ areaID, quantity: 4 }] })).status).toBe(200);
      expect(await available(eventID)).toBe(0);
      clock.advance(600_001);
      expect(await available(eventID)).toBe(4);
      const b = await t.api.session();
      expect((await lock(b, { eventID, places: [{ areaID, quantity: 3 }] })).status).toBe(200);
      // The lapsed holder gets only what is free now.
      const late = await lock(a, { eventID, places: [{ areaID, quantity: 2 }] });
      expect(late.body).toMatchObject({ error: 'SEATS_UNAVAILABLE', soldOut: [areaID] });
      expect((await t.api.delete('/api/sessions/current', { session: b })).status).toBe(204);
      expect(await available(eventID)).toBe(4);
      expect((await lock(a, { eventID, places: [{ areaID, quantity: 4 }] })).status).toBe(200);
    });

    it('an area never sells more than its capacity: 200 parallel buyers of 1-4 places for 100', async () => {
      const { eventID, areaID } = await event(100);
      const sessions = await Promise.all(Array.from({ length: 200 }, () => t.api.session()));
      const wants = sessions.map((_, i) => 1 + (i % 4));
      const answers = await Promise.all(
        sessions.map((sid, i) => lock(sid, { eventID, places: [{ areaID, quantity: wants[i] }] })),
      );
      expect(new Set(answers.map((r) => r.status))).toEqual(new Set([200, 409]));
      const held = answers.reduce((n, r) => n + (r.status === 200 ? r.body.places[0].quantity : 0), 0);
      expect(held).toBeLessThanOrEqual(100);
      // Everyone asked for more than there is, so only the last few places can be left over.
      expect(held).toBeGreaterThan(96);
      answers.forEach((r, i) => {
        if (r.status === 200) expect(r.body.places).toEqual([{ areaID, quantity: wants[i] }]);
        else expect(r.body).toMatchObject({ error: 'SEATS_UNAVAILABLE', soldOut: [areaID] });
      });
      expect(await available(eventID)).toBe(100 - held);

      const customerID = await t.api.customer();
      const winners = sessions.filter((_, i) => answers[i]!.status === 200);
      const sales = await Promise.all(
        winners.map((sid) =>
          t.api.post('/api/confirm', { eventID, customerID, payment: { token: 'tok_ok' } }, { session: sid }),
        ),
      );
      expect(sales.every((r) => r.status === 201)).toBe(true);
      await expectSalesInvariants(t.container.db, eventID);
      const { rows } = await t.container.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM seats WHERE area_id = $1 AND status = 'confirmed'`,
        [areaID],
      );
      expect(rows[0]!.n).toBe(held);
    });
  });
}

describe('a venue counts its places against the size limit', () => {
  it('refuses more than 100,000 seats and places in all, naming areas', async () => {
    const [store] = await engineStores();
    const t = await startApp(store!);
    try {
      const res = await t.api.post(
        '/api/events',
        { ...smallVenue, areas: [{ name: 'Field', category: 'B', capacity: 99_995 }] },
        { admin: true },
      );
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('areas');
    } finally {
      await t.close();
    }
  });
});
