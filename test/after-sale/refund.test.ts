import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUND_DECLINED_TOKEN } from '../../src/infra/payments/test-gateway.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { expectSalesInvariants } from '../helpers/invariants.js';
import { testStores } from '../helpers/stores.js';

const stores = await testStores();
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe.each(stores.map((s) => [s.name, s] as const))('refunds and resale on %s', (_name, store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(store, { webhookDelivery: { pollMs: 0 } });
  });
  afterAll(() => t.close());

  const status = async (eventID: string, seatID: string) =>
    (await t.api.get(`/api/seats/${eventID}`)).body.seats.find((s: any) => s.seatID === seatID).status;

  async function buy(eventID: string, seatIDs: string[], token = 'tok_visa') {
    const session = await t.api.session();
    const customerID = await t.api.customer();
    expect((await t.api.post('/api/lock', { eventID, seatIDs }, { session })).status).toBe(200);
    const res = await t.api.post('/api/confirm', { eventID, customerID, payment: { token } }, { session });
    expect(res.status).toBe(201);
    return res.body as { reservation: any; order: any };
  }

  const cancel = (id: string, admin = true) =>
    t.api.post(`/api/reservations/${id}/cancel`, undefined, { admin });

  it('a refunded seat goes back on sale, is sold again, and is never sold twice at once', async () => {
    const { eventID, seatIDs } = await t.api.event({ rows: 1, seatsPerRow: 4, price: 2500 });
    const [a, b] = seatIDs;
    const first = await buy(eventID, [a!, b!]);

    const res = await cancel(first.reservation.reservationID);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      reservation: { ...first.reservation, status: 'cancelled' },
      order: { ...first.order, status: 'refunded' },
    });
    expect(t.payments.charges.get(first.order.orderID)?.refundId).toMatch(/^re_/);
    expect(await status(eventID, a!)).toBe('available');
    await expectSalesInvariants(t.container.db, eventID);

    // Repeating it answers the same and refunds nothing again.
    const refundId = t.payments.charges.get(first.order.orderID)?.refundId;
    expect(await cancel(first.reservation.reservationID)).toMatchObject({ status: 200, body: res.body });
    expect(t.payments.charges.get(first.order.orderID)?.refundId).toBe(refundId);

    // Resold, then a second sale of the same seat is refused while the resale stands.
    const second = await buy(eventID, [a!]);
    expect(second.reservation.seatIDs).toEqual([a]);
    const late = await t.api.post('/api/lock', { eventID, seatIDs: [a] }, { session: await t.api.session() });
    expect(late.body).toMatchObject({ error: 'SEATS_UNAVAILABLE', unavailable: [a] });
    await expectSalesInvariants(t.container.db, eventID);

    // The database itself refuses a second active sale of a seat.
    await expect(
      t.container.db.query(`INSERT INTO reservation_seats (seat_id, reservation_id) VALUES ($1, $2)`, [
        a,
        first.reservation.reservationID,
      ]),
    ).rejects.toMatchObject({ code: '23505' });

    const listed = (await t.api.get(`/api/events/${eventID}/reservations`, { admin: true })).body
      .reservations;
    expect(listed.map((r: any) => [r.status, r.order.status, r.seatIDs])).toEqual([
      ['cancelled', 'refunded', [a, b]],
      ['confirmed', 'paid', [a]],
    ]);

    const history = await t.api.get(`/api/events/${eventID}/history?seatID=${a}`, { admin: true });
    expect(history.status).toBe(200);
    expect(history.body.changes.map((c: any) => [c.seatID, c.from, c.to, c.reason])).toEqual([
      [a, 'locked', 'confirmed', 'sale'],
      [a, 'confirmed', 'available', 'refund'],
      [a, 'locked', 'confirmed', 'sale'],
    ]);
    const times = history.body.changes.map((c: any) => Date.parse(c.at));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    const all = (await t.api.get(`/api/events/${eventID}/history`, { admin: true })).body.changes;
    expect(all).toHaveLength(5);
    expect(all.filter((c: any) => c.seatID === b).map((c: any) => c.reason)).toEqual(['sale', 'refund']);
  });

  it('a refund that fails changes nothing and says so with a 503', async () => {
    const { eventID, seatIDs } = await t.api.event({ rows: 1, seatsPerRow: 2, price: 1000 });
    const sale = await buy(eventID, [seatIDs[0]!], REFUND_DECLINED_TOKEN);
    const before = {
      reservations: (await t.api.get(`/api/events/${eventID}/reservations`, { admin: true })).body,
      history: (await t.api.get(`/api/events/${eventID}/history`, { admin: true })).body,
    };
    const declined = await cancel(sale.reservation.reservationID);
    expect(declined.status).toBe(503);
    expect(declined.body).toMatchObject({ error: 'SERVICE_UNAVAILABLE', reason: 'refund_declined' });
    expect(declined.headers['retry-after']).toBeDefined();

    t.payments.refundsDown = true;
    const other = await buy(eventID, [seatIDs[1]!]);
    const down = await cancel(other.reservation.reservationID);
    t.payments.refundsDown = false;
    expect(down.status).toBe(503);
    expect(down.body.message).not.toMatch(/test gateway/);

    expect(
      (await t.api.get(`/api/events/${eventID}/reservations`, { admin: true })).body.reservations,
    ).toEqual([...before.reservations.reservations, { ...other.reservation, order: other.order }]);
    expect((await t.api.get(`/api/events/${eventID}/history`, { admin: true })).body.changes).toEqual([
      ...before.history.changes,
      expect.objectContaining({ seatID: seatIDs[1], reason: 'sale' }),
    ]);
    expect(await status(eventID, seatIDs[0]!)).toBe('confirmed');
    const relock = await t.api.post('/api/lock', { eventID, seatIDs }, { session: await t.api.session() });
    expect(relock.status).toBe(409);
    await expectSalesInvariants(t.container.db, eventID);

    // Once the gateway answers, the same request goes through.
    expect((await cancel(other.reservation.reservationID)).status).toBe(200);
    await expectSalesInvariants(t.container.db, eventID);
  });

  it('a refund racing new locks on its seats: each seat is held by one session at most, then sold once', async () => {
    const { eventID, seatIDs } = await t.api.event({ rows: 1, seatsPerRow: 3, price: 700 });
    const seats = seatIDs.slice(0, 2);
    const sale = await buy(eventID, seats);
    const sessions = await Promise.all(Array.from({ length: 12 }, () => t.api.session()));
    const [refund, ...locks] = await Promise.all([
      cancel(sale.reservation.reservationID),
      ...sessions.map((session, i) =>
        t.api.post('/api/lock', { eventID, seatIDs: [seats[i % 2]] }, { session }),
      ),
    ]);
    expect(refund.status).toBe(200);
    expect(locks.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    const winners = new Map<string, string>();
    locks.forEach((r, i) => {
      if (r.status !== 200) return;
      const seat = seats[i % 2]!;
      expect(winners.has(seat), `${seat} held twice`).toBe(false);
      winners.set(seat, sessions[i]!);
    });
    // Whatever the race left free can be held now; then every seat is sold exactly once more.
    for (const seat of seats) {
      if (winners.has(seat)) continue;
      const session = await t.api.session();
      expect((await t.api.post('/api/lock', { eventID, seatIDs: [seat] }, { session })).status).toBe(200);
      winners.set(seat, session);
    }
    const customerID = await t.api.customer();
    for (const [, session] of winners) {
      const res = await t.api.post(
        '/api/confirm',
        { eventID, customerID, payment: { token: 'tok_visa' } },
        { session },
      );
      expect(res.status).toBe(201);
    }
    for (const seat of seats) expect(await status(eventID, seat)).toBe('confirmed');
    await expectSalesInvariants(t.container.db, eventID);
  });

  it('answers unknown reservations with 404, bad history queries with 4xx, and needs the admin token', async () => {
    const { eventID, seatIDs } = await t.api.event({ rows: 1, seatsPerRow: 1, price: 100 });
    const other = await t.api.event({ rows: 1, seatsPerRow: 1, price: 100 });
    expect((await cancel(UNKNOWN)).status).toBe(404);
    expect((await cancel('not-a-uuid')).status).toBe(404);
    expect((await cancel(UNKNOWN, false)).status).toBe(401);
    expect((await t.api.get(`/api/events/${eventID}/history`)).status).toBe(401);
    expect((await t.api.get(`/api/events/${UNKNOWN}/history`, { admin: true })).status).toBe(404);
    for (const seatID of [other.seatIDs[0], 'nope']) {
      const res = await t.api.get(`/api/events/${eventID}/history?seatID=${seatID}`, { admin: true });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'VALIDATION_ERROR', unknown: [seatID] });
    }
    const empty = await t.api.get(`/api/events/${eventID}/history?seatID=${seatIDs[0]}`, { admin: true });
    expect(empty.body).toEqual({ changes: [] });
  });
});
