import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startApp, type TestApp } from '../helpers/app.js';
import { pickRandom, request } from '../helpers/http.js';
import { engineStores } from '../helpers/stores.js';

const stores = await engineStores();

async function listen(t: TestApp): Promise<string> {
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return address;
}

async function newEvent(base: string, rows: number, seatsPerRow: number) {
  const ev = await request(base, 'POST', '/api/events', {
    admin: ADMIN_TOKEN,
    body: { name: 'Race', currency: 'EUR', layout: { rows, seatsPerRow, price: 1000 } },
  });
  const seats = await request(base, 'GET', `/api/seats/${ev.body.eventID}`);
  return {
    eventID: ev.body.eventID as string,
    seatIDs: seats.body.seats.map((s: any) => s.seatID) as string[],
  };
}

const sessions = (base: string, n: number) =>
  Promise.all(
    Array.from(
      { length: n },
      async () => (await request(base, 'POST', '/api/sessions')).body.sessionID as string,
    ),
  );

/** 100 sessions race for 10 seats; every answer is 200 or 409 and the listing shows exactly the winners. */
async function raceForSeats(bases: string[]) {
  const { eventID, seatIDs } = await newEvent(bases[0]!, 1, 10);
  const sids = await sessions(bases[0]!, 100);
  const attempts = sids.map((sid, i) => ({
    sid,
    base: bases[i % bases.length]!,
    seats: pickRandom(seatIDs, 1 + (i % 3)),
  }));
  const answers = await Promise.all(
    attempts.map((a) =>
      request(a.base, 'POST', '/api/lock', { session: a.sid, body: { eventID, seatIDs: a.seats } }),
    ),
  );
  expect(new Set(answers.map((r) => r.status))).toEqual(new Set([200, 409]));
  const won = new Map<string, string>();
  answers.forEach((r, i) => {
    if (r.status !== 200) return;
    expect(r.body.seatIDs.sort()).toEqual(attempts[i]!.seats.sort());
    for (const seat of r.body.seatIDs) {
      expect(won.has(seat), `seat ${seat} won twice`).toBe(false);
      won.set(seat, attempts[i]!.sid);
    }
  });
  for (const r of answers.filter((x) => x.status === 409)) {
    expect(r.body.error).toBe('SEATS_UNAVAILABLE');
    for (const seat of r.body.unavailable) expect(won.has(seat)).toBe(true);
  }
  const listing = (await request(bases[0]!, 'GET', `/api/seats/${eventID}`)).body.seats;
  const locked = listing.filter((s: any) => s.status === 'locked').map((s: any) => s.seatID);
  expect(locked.sort()).toEqual([...won.keys()].sort());
  for (const [seat, sid] of won) {
    const mine = (await request(bases[1 % bases.length]!, 'GET', `/api/seats/${eventID}`, { session: sid }))
      .body.seats;
    expect(mine.find((s: any) => s.seatID === seat).lockedByMe).toBe(true);
  }
  return won.size;
}

describe.each(stores.map((s) => [s.name, s] as const))('races on a listening server, %s', (_name, store) => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startApp(store, { env: { DB_POOL_SIZE: '20' } });
    base = await listen(t);
  });
  afterAll(() => t.close());

  it('100 sessions racing for 10 seats: no seat won twice, listing equals the winners', async () => {
    expect(await raceForSeats([base])).toBeGreaterThan(0);
  });

  it('80 sessions locking crossing seat pairs in opposite orders: no 5xx, no deadlock', async () => {
    const { eventID, seatIDs } = await newEvent(base, 1, 8);
    const sids = await sessions(base, 80);
    const answers = await Promise.all(
      sids.map((sid, i) => {
        const k = i % 4;
        const pair = [seatIDs[k * 2]!, seatIDs[k * 2 + 1]!];
        return request(base, 'POST', '/api/lock', {
          session: sid,
          body: { eventID, seatIDs: i % 2 ? pair : pair.reverse() },
        });
      }),
    );
    expect(answers.filter((r) => r.status >= 500)).toEqual([]);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(4);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(76);
  });

  it('six parallel confirms of one lock: exactly one 201 and one paid order', async () => {
    const { eventID, seatIDs } = await newEvent(base, 1, 4);
    const [sid] = await sessions(base, 1);
    const customerID = (await request(base, 'POST', '/api/customers', { body: { name: 'Racer' } })).body
      .customerID;
    await request(base, 'POST', '/api/lock', {
      session: sid,
      body: { eventID, seatIDs: seatIDs.slice(0, 2) },
    });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        request(base, 'POST', '/api/confirm', {
          session: sid,
          body: { eventID, customerID, payment: { token: 'tok_ok' } },
        }),
      ),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    expect(answers.filter((r) => r.status !== 201).every((r) => r.status === 409)).toBe(true);
    const orders = (
      await request(base, 'GET', `/api/orders?customerID=${customerID}`, { admin: ADMIN_TOKEN })
    ).body.orders;
    expect(orders.filter((o: any) => o.status === 'paid')).toHaveLength(1);
    const reservations = (
      await request(base, 'GET', `/api/events/${eventID}/reservations`, { admin: ADMIN_TOKEN })
    ).body;
    expect(reservations.reservations).toHaveLength(1);
    // Charges that lost the race were voided: money taken equals money for sold seats.
    const kept = [...t.payments.charges.values()].filter((c) => !c.voided);
    expect(kept.reduce((sum, c) => sum + c.amount, 0)).toBe(2000);
  });

  it('six parallel confirms with one Idempotency-Key: one charge, six identical answers', async () => {
    const { eventID, seatIDs } = await newEvent(base, 1, 2);
    const [sid] = await sessions(base, 1);
    const customerID = (await request(base, 'POST', '/api/customers', { body: { name: 'Clicker' } })).body
      .customerID;
    await request(base, 'POST', '/api/lock', { session: sid, body: { eventID, seatIDs } });
    const charges = t.payments.charges.size;
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        request(base, 'POST', '/api/confirm', {
          session: sid,
          headers: { 'idempotency-key': 'double-click' },
          body: { eventID, customerID, payment: { token: 'tok_ok' } },
        }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(new Set(answers.map((r) => r.body.order.orderID)).size).toBe(1);
    expect(t.payments.charges.size).toBe(charges + 1);
  });
});

const postgres = stores.find((s) => s.name === 'postgres');
describe.runIf(postgres)('two server instances on one PostgreSQL database', () => {
  let one: TestApp & { dbEnv: Record<string, string> };
  let two: TestApp;
  let bases: string[];
  beforeAll(async () => {
    one = await startApp(postgres!);
    two = await startApp(postgres!, { shared: { env: one.dbEnv } });
    bases = [await listen(one), await listen(two)];
  });
  afterAll(async () => {
    await two.close();
    await one.close();
  });

  it('100 sessions split over two instances race for 10 seats: no seat won twice', async () => {
    expect(await raceForSeats(bases)).toBeGreaterThan(0);
  });

  it('parallel confirms of one lock through both instances: exactly one sale', async () => {
    const { eventID, seatIDs } = await newEvent(bases[0]!, 1, 3);
    const [sid] = await sessions(bases[0]!, 1);
    const customerID = (await request(bases[0]!, 'POST', '/api/customers', { body: { name: 'Two' } })).body
      .customerID;
    await request(bases[1]!, 'POST', '/api/lock', { session: sid, body: { eventID, seatIDs } });
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        request(bases[i % 2]!, 'POST', '/api/confirm', {
          session: sid,
          body: { eventID, customerID, payment: { token: 'tok_ok' } },
        }),
      ),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    const sold = await one.container.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id WHERE s.event_id = $1`,
      [eventID],
    );
    expect(sold.rows[0]!.n).toBe(3);
  });
});
