import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/infra/clock.js';
import { REUSE_MS } from '../../src/services/best-available.service.js';
import { ADMIN_TOKEN, startApp, type TestApp } from '../helpers/app.js';
import { pickRandom, request } from '../helpers/http.js';
import { engineStores } from '../helpers/stores.js';
import { categories } from '../helpers/venues.js';

const stores = await engineStores();

/** Stalls (category A, two accessible seats at the left of row A) in front of a Balcony (category B). */
const theatre = {
  name: 'Theatre',
  currency: 'EUR',
  categories,
  sections: [
    {
      name: 'Stalls',
      rows: [
        {
          name: 'A',
          category: 'A',
          seats: [1, 2, 3, 4, 5, 6].map((number) => ({ number, accessible: number <= 2 })),
        },
        { name: 'B', category: 'A', seats: 6 },
      ],
    },
    { name: 'Balcony', rows: [{ name: 'A', category: 'B', seats: 6 }] },
  ],
};

/** A new event: its ID, its seat IDs in map order, IDs by seat name, and the names of some IDs. */
async function venue(t: TestApp, body: object = theatre) {
  const { eventID } = (await t.api.post('/api/events', body, { admin: true })).body;
  const seats = (await t.api.get(`/api/seats/${eventID}`)).body.seats as { seatID: string; name: string }[];
  const byName = new Map(seats.map((s) => [s.name, s.seatID]));
  const names = (ids: string[]) => ids.map((id) => seats.find((s) => s.seatID === id)!.name);
  return { eventID: eventID as string, seatIDs: seats.map((s) => s.seatID), byName, names };
}

const twoSeats = { name: 'Two seats', currency: 'EUR', layout: { rows: 1, seatsPerRow: 2, price: 10 } };

describe.each(stores.map((s) => [s.name, s] as const))('best available on %s', (_name, store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(store);
  });
  afterAll(() => t.close());

  const best = (session: string | undefined, body: object) =>
    t.api.post('/api/lock/best', body, session ? { session } : {});

  it('holds the best block: front row, middle, and answers like a lock plus the seats chosen', async () => {
    const { eventID, names } = await venue(t);
    const sid = await t.api.session();
    const res = await best(sid, { eventID, quantity: 2 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      eventID,
      seatIDs: expect.any(Array),
      lockUntil: expect.any(String),
      chosen: expect.any(Array),
    });
    expect(names(res.body.chosen)).toEqual(['Stalls A-3', 'Stalls A-4']);
    expect([...res.body.seatIDs].sort()).toEqual([...res.body.chosen].sort());
    const mine = (await t.api.get(`/api/seats/${eventID}`, { session: sid })).body.seats;
    expect(mine.filter((s: any) => s.lockedByMe).map((s: any) => s.name)).toEqual([
      'Stalls A-3',
      'Stalls A-4',
    ]);

    // The next buyer gets the next best block; a session asking again keeps what it holds.
    const other = await best(await t.api.session(), { eventID, quantity: 2 });
    expect(names(other.body.chosen)).toEqual(['Stalls A-1', 'Stalls A-2']);
    const again = await best(sid, { eventID, quantity: 1 });
    expect(again.status).toBe(200);
    expect(again.body.chosen).toHaveLength(1);
    expect(names(again.body.chosen)[0]).not.toMatch(/^Stalls A-[1-4]$/);
    expect(again.body.seatIDs).toHaveLength(3);
    expect(again.body.seatIDs).toEqual(expect.arrayContaining([...res.body.chosen, ...again.body.chosen]));
  });

  it('filters by category, section and accessibility', async () => {
    const { eventID, names } = await venue(t);
    const pick = async (filter: object) => {
      const res = await best(await t.api.session(), { eventID, quantity: 2, ...filter });
      expect(res.status).toBe(200);
      return names(res.body.chosen);
    };
    expect(await pick({ category: 'B' })).toEqual(['Balcony A-3', 'Balcony A-4']);
    expect(await pick({ section: 'Balcony' })).toEqual(['Balcony A-1', 'Balcony A-2']);
    expect(await pick({ accessible: true })).toEqual(['Stalls A-1', 'Stalls A-2']);
    expect(await pick({ accessible: false, section: 'Stalls' })).toEqual(['Stalls A-3', 'Stalls A-4']);
    const none = await best(await t.api.session(), { eventID, quantity: 1, accessible: true });
    expect(none.status).toBe(409);
    expect(none.body.error).toBe('NO_SEATS_TOGETHER');
  });

  it('no block that fits: 409 NO_SEATS_TOGETHER, nothing held', async () => {
    const { eventID } = await venue(t);
    const sid = await t.api.session();
    const res = await best(sid, { eventID, quantity: 7 });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('NO_SEATS_TOGETHER');
    const seats = (await t.api.get(`/api/seats/${eventID}`)).body.seats;
    expect(seats.every((s: any) => s.status === 'available')).toBe(true);
  });

  it('works on a layout event: its rows, front first', async () => {
    const { eventID, seatIDs } = await t.api.event({ rows: 2, seatsPerRow: 5, price: 100 });
    const taker = await t.api.session();
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[2]] }, { session: taker });
    const res = await best(await t.api.session(), { eventID, quantity: 3 });
    expect(res.status).toBe(200);
    // Row A has no three free side by side; row B's middle block would strand a seat at each end.
    expect(res.body.chosen).toEqual(seatIDs.slice(5, 8));
  });

  it('counts against MAX_SEATS_PER_SESSION like a lock: 422, nothing changed', async () => {
    const { eventID, seatIDs } = await t.api.event({ rows: 2, seatsPerRow: 6, price: 100 });
    const sid = await t.api.session();
    const held = seatIDs.slice(0, t.config.MAX_SEATS_PER_SESSION - 1);
    expect((await t.api.post('/api/lock', { eventID, seatIDs: held }, { session: sid })).status).toBe(200);
    const res = await best(sid, { eventID, quantity: 2 });
    expect(res.status).toBe(422);
    expect(res.body.error).toBe('TOO_MANY_SEATS');
    const mine = (await t.api.get(`/api/seats/${eventID}`, { session: sid })).body.seats;
    expect(mine.filter((s: any) => s.lockedByMe)).toHaveLength(held.length);
  });

  it('refuses bad requests with a clear 4xx', async () => {
    const { eventID } = await venue(t);
    const sid = await t.api.session();
    const cases: [object, string | undefined, number, string, string?][] = [
      [{ eventID, quantity: 0 }, sid, 400, 'VALIDATION_ERROR', 'quantity'],
      [{ eventID, quantity: 11 }, sid, 400, 'VALIDATION_ERROR', 'quantity'],
      [{ eventID, quantity: 101 }, sid, 400, 'VALIDATION_ERROR', 'quantity'],
      [{ eventID, quantity: '2' }, sid, 400, 'VALIDATION_ERROR'],
      [{ eventID, quantity: 1.5 }, sid, 400, 'VALIDATION_ERROR'],
      [{ eventID }, sid, 400, 'VALIDATION_ERROR'],
      [{ eventID, quantity: 1, category: 'VIP' }, sid, 400, 'VALIDATION_ERROR', 'category'],
      [{ eventID, quantity: 1, section: 'Gallery' }, sid, 400, 'VALIDATION_ERROR', 'section'],
      [{ eventID, quantity: 1, accessible: 'yes' }, sid, 400, 'VALIDATION_ERROR'],
      [{ eventID, quantity: 1 }, undefined, 401, 'SESSION_REQUIRED'],
      [{ eventID, quantity: 1 }, 'not-a-session', 401, 'SESSION_REQUIRED'],
      [{ eventID, quantity: 99 }, 'not-a-session', 401, 'SESSION_REQUIRED'],
      [{ eventID: '00000000-0000-4000-8000-000000000000', quantity: 1 }, sid, 404, 'NOT_FOUND'],
      [{ eventID: 'nope', quantity: 1 }, sid, 404, 'NOT_FOUND'],
    ];
    for (const [body, session, status, code, field] of cases) {
      const res = await best(session, body);
      expect([res.status, res.body.error], JSON.stringify(body)).toEqual([status, code]);
      if (field) expect(res.body.message).toContain(field);
    }
    const seats = (await t.api.get(`/api/seats/${eventID}`)).body.seats;
    expect(seats.every((s: any) => s.status === 'available')).toBe(true);
  });
});

/** Whether `free` (seat names of a layout event: row letter + number) has `q` side by side in a row. */
function hasBlock(free: Set<string>, rows: string[], seatsPerRow: number, q: number): boolean {
  return rows.some((row) => {
    let run = 0;
    for (let n = 1; n <= seatsPerRow; n++) {
      run = free.has(`${row}${n}`) ? run + 1 : 0;
      if (run >= q) return true;
    }
    return false;
  });
}

describe.each(stores.map((s) => [s.name, s] as const))('best available races on %s', (_name, store) => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startApp(store, { env: { DB_POOL_SIZE: '20' } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  it('100 parallel best-available requests and 20 ordinary locks: no seat chosen twice, 200 or 409', async () => {
    const rows = 'ABCDEFGHIJ'.split('');
    const ev = await request(base, 'POST', '/api/events', {
      admin: ADMIN_TOKEN,
      body: { name: 'Rush', currency: 'EUR', layout: { rows: rows.length, seatsPerRow: 10, price: 1000 } },
    });
    const eventID = ev.body.eventID as string;
    const seats = (await request(base, 'GET', `/api/seats/${eventID}`)).body.seats as any[];
    const name = new Map(seats.map((s) => [s.seatID as string, s.name as string]));
    const sids = await Promise.all(
      Array.from({ length: 120 }, async () => (await request(base, 'POST', '/api/sessions')).body.sessionID),
    );
    const asks = sids.map((sid, i) =>
      i < 100
        ? { sid, kind: 'best' as const, quantity: 1 + (i % 4) }
        : { sid, kind: 'lock' as const, seatIDs: pickRandom([...name.keys()], 1 + (i % 3)) },
    );
    const answers = await Promise.all(
      asks.map((a) =>
        a.kind === 'best'
          ? request(base, 'POST', '/api/lock/best', {
              session: a.sid,
              body: { eventID, quantity: a.quantity },
            })
          : request(base, 'POST', '/api/lock', { session: a.sid, body: { eventID, seatIDs: a.seatIDs } }),
      ),
    );

    const owner = new Map<string, string>();
    answers.forEach((res, i) => {
      const ask = asks[i]!;
      expect([200, 409], JSON.stringify(res.body)).toContain(res.status);
      if (res.status !== 200) return;
      const got: string[] = ask.kind === 'best' ? res.body.chosen : res.body.seatIDs;
      expect([...res.body.seatIDs].sort()).toEqual([...got].sort());
      for (const seat of got) {
        expect(owner.has(seat), `${name.get(seat)} chosen twice`).toBe(false);
        owner.set(seat, ask.sid);
      }
      if (ask.kind === 'best') {
        // Side by side in one row: one row letter, consecutive numbers.
        expect(got).toHaveLength(ask.quantity);
        const parts = got.map((id) => /^([A-J])(\d+)$/.exec(name.get(id)!)!);
        expect(new Set(parts.map((p) => p[1])).size).toBe(1);
        const numbers = parts.map((p) => Number(p[2]));
        numbers.forEach((n, k) => expect(n).toBe(numbers[0]! + k));
      }
    });

    // Seats only ever got taken here, so a best-available 409 means no block fits even now.
    const listing = (await request(base, 'GET', `/api/seats/${eventID}`)).body.seats as any[];
    const free = new Set(listing.filter((s) => s.status === 'available').map((s) => s.name as string));
    answers.forEach((res, i) => {
      const ask = asks[i]!;
      if (res.status !== 409) return;
      if (ask.kind === 'best') {
        expect(res.body.error).toBe('NO_SEATS_TOGETHER');
        expect(hasBlock(free, rows, 10, ask.quantity), `a block of ${ask.quantity} was left`).toBe(false);
      } else {
        expect(res.body.error).toBe('SEATS_UNAVAILABLE');
        for (const seat of res.body.unavailable) expect(owner.has(seat)).toBe(true);
      }
    });
    const held = listing.filter((s) => s.status === 'locked').map((s) => s.seatID);
    expect(held.sort()).toEqual([...owner.keys()].sort());
    expect(answers.filter((r, i) => r.status === 200 && asks[i]!.kind === 'best').length).toBeGreaterThan(30);
  });
});

describe.each(stores.map((s) => [s.name, s] as const))(
  'best available and lapsed holds on %s',
  (_name, store) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp(store, { clock: 'manual', env: { LOCK_TTL_SECONDS: '60' } });
    });
    afterAll(() => t.close());

    it('a hold past its deadline (not yet swept) does not keep the best seats from being chosen', async () => {
      const { eventID, byName, names } = await venue(t);
      const middle = [byName.get('Stalls A-3')!, byName.get('Stalls A-4')!];
      const holder = await t.api.session();
      expect((await t.api.post('/api/lock', { eventID, seatIDs: middle }, { session: holder })).status).toBe(
        200,
      );
      const buyer = await t.api.session();
      const whileHeld = await t.api.post('/api/lock/best', { eventID, quantity: 2 }, { session: buyer });
      expect(names(whileHeld.body.chosen)).toEqual(['Stalls A-1', 'Stalls A-2']);

      (t.clock as ManualClock).advance(61_000);
      // A read of the event serves later picks for a moment of wall-clock time: let it go.
      await new Promise((resolve) => setTimeout(resolve, REUSE_MS + 50));
      const late = await t.api.post(
        '/api/lock/best',
        { eventID, quantity: 2 },
        { session: await t.api.session() },
      );
      expect(late.status).toBe(200);
      expect(names(late.body.chosen)).toEqual(['Stalls A-3', 'Stalls A-4']);
    });

    it('refuses only on a read made after the request came: a hold that lapsed just before is found', async () => {
      const { eventID, seatIDs } = await venue(t, twoSeats);
      const clock = t.clock as ManualClock;
      expect(
        (await t.api.post('/api/lock', { eventID, seatIDs }, { session: await t.api.session() })).status,
      ).toBe(200);
      clock.advance(60_000 - REUSE_MS / 4);
      const first = await t.api.post(
        '/api/lock/best',
        { eventID, quantity: 2 },
        { session: await t.api.session() },
      );
      expect(first.body.error).toBe('NO_SEATS_TOGETHER');

      // The hold lapses while the read that refusal was made on may still serve picks, but not a refusal.
      clock.advance(REUSE_MS / 2);
      const next = await t.api.post(
        '/api/lock/best',
        { eventID, quantity: 2 },
        { session: await t.api.session() },
      );
      expect(next.status).toBe(200);
      expect([...next.body.chosen].sort()).toEqual([...seatIDs].sort());
    });

    it('never picks a seat the session has just held with an ordinary lock', async () => {
      const { eventID, seatIDs } = await venue(t, twoSeats);
      const session = await t.api.session();
      const first = await t.api.post('/api/lock/best', { eventID, quantity: 1 }, { session });
      expect(first.status).toBe(200);
      const other = seatIDs.find((id) => id !== first.body.chosen[0])!;
      expect((await t.api.post('/api/lock', { eventID, seatIDs: [other] }, { session })).status).toBe(200);
      const again = await t.api.post('/api/lock/best', { eventID, quantity: 1 }, { session });
      expect(again.status).toBe(409);
      expect(again.body.error).toBe('NO_SEATS_TOGETHER');
    });

    it('a seat released here is seen by the next pick at once', async () => {
      const { eventID, byName, names } = await venue(t);
      const holder = await t.api.session();
      const middle = [byName.get('Stalls A-3')!, byName.get('Stalls A-4')!];
      expect((await t.api.post('/api/lock', { eventID, seatIDs: middle }, { session: holder })).status).toBe(
        200,
      );
      const before = await t.api.post(
        '/api/lock/best',
        { eventID, quantity: 2 },
        { session: await t.api.session() },
      );
      expect(names(before.body.chosen)).toEqual(['Stalls A-1', 'Stalls A-2']);

      expect((await t.api.post('/api/cancel-lock', { eventID }, { session: holder })).status).toBe(200);
      const after = await t.api.post(
        '/api/lock/best',
        { eventID, quantity: 2 },
        { session: await t.api.session() },
      );
      expect(names(after.body.chosen)).toEqual(['Stalls A-3', 'Stalls A-4']);
    });
  },
);
