import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { engineStores } from '../helpers/stores.js';

const stores = await engineStores();

describe.each(stores.map((s) => [s.name, s] as const))('lock, cancel, confirm on %s', (_name, store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(store, { env: { MAX_SEATS_PER_SESSION: '4' } });
  });
  afterAll(() => t.close());

  const setup = async () => {
    const { eventID, seatIDs } = await t.api.event();
    return {
      eventID,
      seatIDs,
      a: await t.api.session(),
      b: await t.api.session(),
      customerID: await t.api.customer(),
    };
  };

  it('lock needs a live session', async () => {
    const { eventID, seatIDs } = await setup();
    for (const session of [undefined, 'not-a-session', 'x'.repeat(500)]) {
      const res = await t.api.post(
        '/api/lock',
        { eventID, seatIDs: [seatIDs[0]] },
        session ? { session } : {},
      );
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('SESSION_REQUIRED');
    }
  });

  it('locks all or nothing and lists exactly the unavailable seats', async () => {
    const { eventID, seatIDs, a, b } = await setup();
    const [s0, s1, s2] = seatIDs;
    const first = await t.api.post('/api/lock', { eventID, seatIDs: [s0, s1] }, { session: a });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ eventID, seatIDs: [s0, s1].sort(), lockUntil: expect.any(String) });
    expect(Date.parse(first.body.lockUntil) - Date.now()).toBeGreaterThan(590_000);

    const clash = await t.api.post('/api/lock', { eventID, seatIDs: [s2, s1] }, { session: b });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ error: 'SEATS_UNAVAILABLE', unavailable: [s1] });
    const seats = (await t.api.get(`/api/seats/${eventID}`)).body.seats;
    expect(seats.find((s: { seatID: string }) => s.seatID === s2).status).toBe('available');
  });

  it('re-locking refreshes one deadline for every seat the session holds in the event', async () => {
    const { eventID, seatIDs, a } = await setup();
    const first = await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
    await new Promise((r) => setTimeout(r, 20));
    const second = await t.api.post(
      '/api/lock',
      { eventID, seatIDs: [seatIDs[1], seatIDs[0]] },
      { session: a },
    );
    expect(second.status).toBe(200);
    expect(second.body.seatIDs).toEqual([seatIDs[0], seatIDs[1]].sort());
    expect(Date.parse(second.body.lockUntil)).toBeGreaterThan(Date.parse(first.body.lockUntil));
    const mine = (await t.api.get(`/api/seats/${eventID}`, { session: a })).body.seats.filter(
      (s: { lockedByMe: boolean }) => s.lockedByMe,
    );
    expect(mine.map((s: { lockUntil: string }) => s.lockUntil)).toEqual([
      second.body.lockUntil,
      second.body.lockUntil,
    ]);
  });

  it('refuses to hold more than MAX_SEATS_PER_SESSION seats in an event', async () => {
    const { eventID, seatIDs, a } = await setup();
    expect(
      (await t.api.post('/api/lock', { eventID, seatIDs: seatIDs.slice(0, 3) }, { session: a })).status,
    ).toBe(200);
    const over = await t.api.post('/api/lock', { eventID, seatIDs: seatIDs.slice(3, 5) }, { session: a });
    expect(over.status).toBe(422);
    expect(over.body.error).toBe('TOO_MANY_SEATS');
    const tooLong = await t.api.post('/api/lock', { eventID, seatIDs: seatIDs.slice(5, 10) }, { session: a });
    expect(tooLong.body.error).toBe('TOO_MANY_SEATS');
    const held = (await t.api.get(`/api/seats/${eventID}`, { session: a })).body.seats.filter(
      (s: any) => s.lockedByMe,
    );
    expect(held).toHaveLength(3);
  });

  it('rejects seats not in the event with VALIDATION_ERROR listing them, and unknown events with 404', async () => {
    const { eventID, a } = await setup();
    const other = await t.api.event();
    const res = await t.api.post(
      '/api/lock',
      { eventID, seatIDs: [other.seatIDs[0], 'nope'] },
      { session: a },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_ERROR');
    expect(res.body.unknown.sort()).toEqual([other.seatIDs[0], 'nope'].sort());
    const missing = await t.api.post(
      '/api/lock',
      { eventID: '00000000-0000-4000-8000-000000000000', seatIDs: [other.seatIDs[0]] },
      { session: a },
    );
    expect(missing.status).toBe(404);
  });

  it('cancel-lock releases listed seats, or all of an event, or all; never confirmed ones', async () => {
    const { eventID, seatIDs, a } = await setup();
    const other = await t.api.event();
    await t.api.post('/api/lock', { eventID, seatIDs: seatIDs.slice(0, 3) }, { session: a });
    await t.api.post('/api/lock', { eventID: other.eventID, seatIDs: [other.seatIDs[0]] }, { session: a });

    const one = await t.api.post('/api/cancel-lock', { seatIDs: [seatIDs[0], seatIDs[9]] }, { session: a });
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ released: [seatIDs[0]] });
    const inEvent = await t.api.post('/api/cancel-lock', { eventID }, { session: a });
    expect(inEvent.body.released.sort()).toEqual([seatIDs[1], seatIDs[2]].sort());
    const all = await t.api.post('/api/cancel-lock', {}, { session: a });
    expect(all.body).toEqual({ released: [other.seatIDs[0]] });
    expect((await t.api.post('/api/cancel-lock', {}, { session: a })).body).toEqual({ released: [] });
    const unknownEvent = await t.api.post(
      '/api/cancel-lock',
      { eventID: '00000000-0000-4000-8000-000000000000' },
      { session: a },
    );
    expect(unknownEvent.status).toBe(404);
  });

  it('confirm charges the sum of prices and writes reservation and paid order; the seats are sold', async () => {
    const { eventID, seatIDs, a, b, customerID } = await setup();
    await t.api.post('/api/lock', { eventID, seatIDs: seatIDs.slice(0, 2) }, { session: a });
    const res = await t.api.post(
      '/api/confirm',
      { eventID, customerID, payment: { token: 'tok_visa' } },
      { session: a },
    );
    expect(res.status).toBe(201);
    const { reservation, order } = res.body;
    expect(reservation).toEqual({
      reservationID: expect.any(String),
      customerID,
      eventID,
      seatIDs: expect.arrayContaining(seatIDs.slice(0, 2)),
      orderID: order.orderID,
      status: 'confirmed',
    });
    expect(order).toEqual({
      orderID: expect.any(String),
      customerID,
      amount: 5000,
      currency: 'EUR',
      status: 'paid',
    });

    const seats = (await t.api.get(`/api/seats/${eventID}`, { session: a })).body.seats;
    expect(seats.slice(0, 2).map((s: any) => [s.status, s.lockUntil, s.lockedByMe])).toEqual([
      ['confirmed', null, false],
      ['confirmed', null, false],
    ]);
    const relock = await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: b });
    expect(relock.body).toMatchObject({ error: 'SEATS_UNAVAILABLE', unavailable: [seatIDs[0]] });
    expect(
      (await t.api.post('/api/cancel-lock', { seatIDs: [seatIDs[0]] }, { session: a })).body.released,
    ).toEqual([]);

    const reservations = await t.api.get(`/api/events/${eventID}/reservations`, { admin: true });
    expect(reservations.body.reservations).toEqual([{ ...reservation, seatIDs: seatIDs.slice(0, 2), order }]);
    const orders = await t.api.get(`/api/orders?customerID=${customerID}`, { admin: true });
    expect(orders.body.orders).toEqual([order]);
  });

  it('confirm of seats not held is NOT_LOCKED, and nothing is charged', async () => {
    const { eventID, seatIDs, a, b, customerID } = await setup();
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: b });
    const charges = t.payments.charges.size;
    for (const body of [
      { eventID, customerID, seatIDs: [seatIDs[0]], payment: { token: 'tok_visa' } },
      { eventID, customerID, payment: { token: 'tok_visa' } },
    ]) {
      const res = await t.api.post('/api/confirm', body, { session: a });
      expect(res.status).toBe(409);
      expect(res.body.error).toBe('NOT_LOCKED');
    }
    expect(t.payments.charges.size).toBe(charges);
    expect((await t.api.get(`/api/orders?customerID=${customerID}`, { admin: true })).body.orders).toEqual(
      [],
    );
  });

  it('a declined card is 402 with a failed order; the seats stay locked, deadline unchanged', async () => {
    const { eventID, seatIDs, a, customerID } = await setup();
    const lock = await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
    const res = await t.api.post(
      '/api/confirm',
      { eventID, customerID, payment: { token: 'tok_chargeDeclined' } },
      { session: a },
    );
    expect(res.status).toBe(402);
    expect(res.body).toEqual({
      error: 'PAYMENT_FAILED',
      message: expect.any(String),
      order: { orderID: expect.any(String), customerID, amount: 2500, currency: 'EUR', status: 'failed' },
    });
    const seat = (await t.api.get(`/api/seats/${eventID}`, { session: a })).body.seats[0];
    expect(seat).toMatchObject({ status: 'locked', lockedByMe: true, lockUntil: lock.body.lockUntil });
    const orders = (await t.api.get(`/api/orders?customerID=${customerID}`, { admin: true })).body.orders;
    expect(orders).toEqual([res.body.order]);
    const retry = await t.api.post(
      '/api/confirm',
      { eventID, customerID, payment: { token: 'tok_ok' } },
      { session: a },
    );
    expect(retry.status).toBe(201);
  });

  it('confirm with an unknown customer is 404 and charges nothing', async () => {
    const { eventID, seatIDs, a } = await setup();
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
    const res = await t.api.post(
      '/api/confirm',
      { eventID, customerID: '00000000-0000-4000-8000-000000000000', payment: { token: 'tok_ok' } },
      { session: a },
    );
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('NOT_FOUND');
  });

  it('Idempotency-Key: the same body replays the first answer with no new charge; another body is 422', async () => {
    const { eventID, seatIDs, a, customerID } = await setup();
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
    const body = { eventID, customerID, payment: { token: 'tok_ok' } };
    const headers = { 'idempotency-key': 'order-123' };
    const first = await t.api.post('/api/confirm', body, { session: a, headers });
    const charges = t.payments.charges.size;
    const again = await t.api.post('/api/confirm', body, { session: a, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(t.payments.charges.size).toBe(charges);
    const other = await t.api.post(
      '/api/confirm',
      { ...body, payment: { token: 'tok_other' } },
      { session: a, headers },
    );
    expect(other.status).toBe(422);
    expect(other.body.error).toBe('IDEMPOTENCY_CONFLICT');
    const tooLong = await t.api.post('/api/confirm', body, {
      session: a,
      headers: { 'idempotency-key': 'k'.repeat(256) },
    });
    expect(tooLong.status).toBe(400);
    const orders = (await t.api.get(`/api/orders?customerID=${customerID}`, { admin: true })).body.orders;
    expect(orders).toHaveLength(1);
  });

  it('Idempotency-Key replays a decline too, without a second charge attempt or order', async () => {
    const { eventID, seatIDs, a, customerID } = await setup();
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
    const body = { eventID, customerID, payment: { token: 'tok_chargeDeclined' } };
    const headers = { 'idempotency-key': 'k-decline' };
    const first = await t.api.post('/api/confirm', body, { session: a, headers });
    const again = await t.api.post('/api/confirm', body, { session: a, headers });
    expect([first.status, again.status]).toEqual([402, 402]);
    expect(again.body).toEqual(first.body);
    expect(
      (await t.api.get(`/api/orders?customerID=${customerID}`, { admin: true })).body.orders,
    ).toHaveLength(1);
  });

  it('Idempotency-Key replays a sale whose answer was lost after it committed (the instance died)', async () => {
    const { eventID, seatIDs, a, customerID } = await setup();
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
    const body = { eventID, customerID, payment: { token: 'tok_ok' } };
    const headers = { 'idempotency-key': 'k-lost-answer' };
    // As if the instance died right after the sale's commit: the key's completion afterwards fails.
    const keys = (t.container.services.idempotency as any).deps.idempotency;
    const complete = keys.complete;
    keys.complete = () => Promise.reject(new Error('the instance died'));
    let first;
    try {
      first = await t.api.post('/api/confirm', body, { session: a, headers });
    } finally {
      keys.complete = complete;
    }
    expect(first.status).toBe(500);
    const charges = t.payments.charges.size;
    const again = await t.api.post('/api/confirm', body, { session: a, headers });
    expect(again.status).toBe(201);
    expect(again.body.reservation.seatIDs).toEqual([seatIDs[0]]);
    expect(again.body.order).toMatchObject({ customerID, status: 'paid' });
    expect(t.payments.charges.size).toBe(charges);
    const orders = (await t.api.get(`/api/orders?customerID=${customerID}`, { admin: true })).body.orders;
    expect(orders.map((o: { orderID: string }) => o.orderID)).toEqual([again.body.order.orderID]);
  });
});
