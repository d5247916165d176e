import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { engineStores } from '../helpers/stores.js';

const stores = await engineStores();

describe.each(stores.map((s) => [s.name, s] as const))(
  'sessions, customers, events on %s',
  (_name, store) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp(store);
    });
    afterAll(() => t.close());

    it('POST /api/sessions gives a 256-bit session ID, an expiry and an HttpOnly cookie', async () => {
      const res = await t.api.post('/api/sessions');
      expect(res.status).toBe(201);
      expect(res.body.sessionID).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(Date.now() + 1700_000);
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toContain(`sid=${res.body.sessionID}`);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Path=\//);
    });

    it('accepts the session as cookie sid as well as header', async () => {
      const { eventID, seatIDs } = await t.api.event();
      const sid = await t.api.session();
      const res = await t.api.post(
        '/api/lock',
        { eventID, seatIDs: [seatIDs[0]] },
        { headers: { cookie: `sid=${sid}` } },
      );
      expect(res.status).toBe(200);
    });

    it('DELETE /api/sessions/current ends the session and releases its locks at once', async () => {
      const { eventID, seatIDs } = await t.api.event();
      const sid = await t.api.session();
      expect(
        (await t.api.post('/api/lock', { eventID, seatIDs: seatIDs.slice(0, 2) }, { session: sid })).status,
      ).toBe(200);
      const del = await t.api.delete('/api/sessions/current', { session: sid });
      expect(del.status).toBe(204);
      const seats = await t.api.get(`/api/seats/${eventID}`);
      expect(seats.body.seats.filter((s: { status: string }) => s.status !== 'available')).toEqual([]);
      expect(
        (await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: sid })).body.error,
      ).toBe('SESSION_REQUIRED');
      expect((await t.api.delete('/api/sessions/current', { session: sid })).status).toBe(401);
    });

    it('POST /api/customers creates a customer', async () => {
      const res = await t.api.post('/api/customers', { name: 'Grace Hopper' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ customerID: expect.any(String), name: 'Grace Hopper' });
    });

    it('POST /api/events needs the admin token', async () => {
      const body = { name: 'X', currency: 'EUR', layout: { rows: 1, seatsPerRow: 1, price: 1 } };
      expect((await t.api.post('/api/events', body)).body.error).toBe('UNAUTHORIZED');
      const wrong = await t.api.post('/api/events', body, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('UNAUTHORIZED');
    });

    it('creates a layout event with seats named by row letter and number, rows past Z as AA', async () => {
      const res = await t.api.post(
        '/api/events',
        { name: 'Stadium', currency: 'USD', layout: { rows: 28, seatsPerRow: 3, price: 1000 } },
        { admin: true },
      );
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ eventID: expect.any(String), name: 'Stadium', seatCount: 84 });
      const seats = await t.api.get(`/api/seats/${res.body.eventID}`);
      const names = seats.body.seats.map((s: { name: string }) => s.name);
      expect(names.slice(0, 4)).toEqual(['A1', 'A2', 'A3', 'B1']);
      expect(names.slice(-4)).toEqual(['Z3', 'AA1', 'AA2', 'AA3', 'AB1', 'AB2', 'AB3'].slice(-4));
      expect(seats.body.currency).toBe('USD');
    });

    it('creates an event from a seat list, and lists events with available counts', async () => {
      const res = await t.api.post(
        '/api/events',
        {
          name: 'Club',
          currency: 'GBP',
          seats: [
            { name: 'Table 1', price: 5000 },
            { name: 'Table 2', price: 7000 },
          ],
        },
        { admin: true },
      );
      expect(res.status).toBe(201);
      expect(res.body.seatCount).toBe(2);
      const seats = (await t.api.get(`/api/seats/${res.body.eventID}`)).body.seats;
      expect(seats.map((s: { name: string; price: number }) => [s.name, s.price])).toEqual([
        ['Table 1', 5000],
        ['Table 2', 7000],
      ]);
      const sid = await t.api.session();
      await t.api.post(
        '/api/lock',
        { eventID: res.body.eventID, seatIDs: [seats[0].seatID] },
        { session: sid },
      );
      const list = await t.api.get('/api/events');
      expect(list.status).toBe(200);
      expect(list.body.events).toContainEqual({
        eventID: res.body.eventID,
        name: 'Club',
        currency: 'GBP',
        seatCount: 2,
        availableCount: 1,
      });
    });

    it('seat listing: public, marks only my own seats, never shows a session ID', async () => {
      const { eventID, seatIDs } = await t.api.event();
      const a = await t.api.session();
      const b = await t.api.session();
      const lock = await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
      const asA = await t.api.get(`/api/seats/${eventID}`, { session: a });
      const asB = await t.api.get(`/api/seats/${eventID}`, { session: b });
      const anon = await t.api.get(`/api/seats/${eventID}`);
      expect(asA.body.seats[0]).toEqual({
        seatID: seatIDs[0],
        name: 'A1',
        status: 'locked',
        price: 2500,
        lockUntil: lock.body.lockUntil,
        lockedByMe: true,
      });
      expect(asB.body.seats[0].lockedByMe).toBe(false);
      expect(anon.headers['content-type']).toMatch(/^application\/json/);
      expect(anon.body.seats[0].status).toBe('locked');
      expect(asA.body.seats[1]).toMatchObject({ status: 'available', lockUntil: null, lockedByMe: false });
      for (const r of [asA, asB, anon]) {
        expect(r.body.eventID).toBe(eventID);
        expect(JSON.stringify(r.body)).not.toContain(a);
        expect(JSON.stringify(r.body)).not.toContain(b);
      }
    });

    it('unknown events and routes are 404 NOT_FOUND', async () => {
      for (const url of [
        '/api/seats/00000000-0000-4000-8000-000000000000',
        '/api/seats/not-a-uuid',
        '/api/nothing',
      ]) {
        const res = await t.api.get(url);
        expect(res.status).toBe(404);
        expect(res.body.error).toBe('NOT_FOUND');
      }
      const res = await t.api.get('/api/events/00000000-0000-4000-8000-000000000000/reservations', {
        admin: true,
      });
      expect(res.body.error).toBe('NOT_FOUND');
    });

    it('admin listings need the token', async () => {
      const { eventID } = await t.api.event();
      expect((await t.api.get(`/api/events/${eventID}/reservations`)).status).toBe(401);
      expect((await t.api.get('/api/orders')).status).toBe(401);
      const orders = await t.api.get('/api/orders?customerID=00000000-0000-4000-8000-000000000000', {
        admin: true,
      });
      expect(orders.status).toBe(404);
    });
  },
);
