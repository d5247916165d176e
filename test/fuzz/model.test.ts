import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/infra/clock.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { expectHoldsListed } from '../helpers/invariants.js';
import { testStores } from '../helpers/stores.js';
import { HOLD_CAP, LOCK_TTL, MAX_SEATS, Model, SESSION_TTL, type Expected } from './model.js';

const SEATS = 6;
const PLACES = 3;
/** One row of SEATS seats and a standing area of PLACES places, everything at 100. */
const venue = {
  name: 'Fuzz',
  currency: 'EUR',
  categories: [{ key: 'A', label: 'All', price: 100 }],
  sections: [{ name: 'S', rows: [{ name: 'A', category: 'A', seats: SEATS }] }],
  areas: [{ name: 'Floor', category: 'A', capacity: PLACES }],
};
// `npm run fuzz` sets FUZZ_RUNS for the long version; npm test runs a short one.
const RUNS = Number(process.env.FUZZ_RUNS ?? 15);
const stores = await testStores();

const seatList = fc.uniqueArray(fc.integer({ min: 0, max: SEATS - 1 }), {
  minLength: 1,
  maxLength: MAX_SEATS + 1,
});
const who = fc.nat(7);
const action = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'session' as const }) },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('lock' as const), who, seats: seatList, places: fc.nat(2) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('best' as const),
      who,
      quantity: fc.integer({ min: 1, max: MAX_SEATS + 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('cancel' as const),
      who,
      seats: fc.option(seatList, { nil: undefined }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('confirm' as const),
      who,
      seats: fc.option(seatList, { nil: undefined }),
      declined: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      ms: fc.constantFrom(1_000, 30_000, LOCK_TTL + 1, SESSION_TTL + 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('logout' as const), who }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cleanup' as const }) },
);
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

describe.each(stores.map((s) => [s.name, s] as const))('model-based fuzzing on %s', (_name, store) => {
  let t: TestApp;
  let clock: ManualClock;
  let requests = 0;
  beforeAll(async () => {
    t = await startApp(store, {
      clock: 'manual',
      env: {
        LOCK_TTL_SECONDS: String(LOCK_TTL / 1000),
        SESSION_TTL_SECONDS: String(SESSION_TTL / 1000),
        MAX_SEATS_PER_SESSION: String(MAX_SEATS),
        MAX_HOLD_SECONDS: String(HOLD_CAP / 1000),
      },
    });
    clock = t.clock as ManualClock;
  });
  afterAll(() => t.close());

  async function play(actions: Action[]) {
    const { eventID } = (await t.api.post('/api/events', venue, { admin: true })).body;
    const map = (await t.api.get(`/api/seats/${eventID}`)).body;
    const seatIDs: string[] = map.seats.map((x: any) => x.seatID);
    const areaID: string = map.areas[0].areaID;
    // The model's places stand for the area's place rows in ID order, the order a lock picks free ones;
    // answers name no place, so only their counts are compared.
    const customerID = await t.api.customer();
    const model = new Model(SEATS, PLACES);
    /** Units as the service answers them: seat IDs, and places counted per area. */
    const answer = (units: number[]) => {
      const places = units.filter((i) => i >= SEATS).length;
      return { seatIDs: ids(units.filter((i) => i < SEATS)).sort(), places };
    };
    const tokens: string[] = [];
    const start = clock.now().getTime();
    const ids = (idx: number[]) => idx.map((i) => seatIDs[i]!);
    const call = async (a: Action): Promise<{ res: { status: number; body: any }; expected?: Expected }> => {
      requests++;
      if (a.kind === 'session') {
        const res = await t.api.post('/api/sessions');
        tokens.push(res.body.sessionID);
        model.newSession();
        return { res };
      }
      if (a.kind === 'wait') {
        clock.advance(a.ms);
        model.now += a.ms;
        return { res: await t.api.get(`/api/seats/${eventID}`) };
      }
      if (a.kind === 'cleanup') {
        await t.container.cleanup.runOnce();
        model.cleanup();
        return { res: await t.api.get(`/api/seats/${eventID}`) };
      }
      if (tokens.length === 0) return call({ kind: 'session' });
      const s = a.who % tokens.length;
      const session = tokens[s]!;
      switch (a.kind) {
        case 'lock': {
          const body = {
            eventID,
            seatIDs: ids(a.seats),
            ...(a.places > 0 && { places: [{ areaID, quantity: a.places }] }),
          };
          return {
            expected: model.lock(s, a.seats, a.places),
            res: await t.api.post('/api/lock', body, { session }),
          };
        }
        case 'best':
          return {
            expected: model.best(s, a.quantity),
            res: await t.api.post('/api/lock/best', { eventID, quantity: a.quantity }, { session }),
          };
        case 'cancel': {
          const body = a.seats ? { eventID, seatIDs: ids(a.seats) } : { eventID };
          return {
            expected: model.cancel(s, a.seats),
            res: await t.api.post('/api/cancel-lock', body, { session }),
          };
        }
        case 'confirm': {
          const body = {
            eventID,
            customerID,
            ...(a.seats ? { seatIDs: ids(a.seats) } : {}),
            payment: { token: a.declined ? 'tok_chargeDeclined' : 'tok_ok' },
          };
          return {
            expected: model.confirm(s, a.seats, a.declined),
            res: await t.api.post('/api/confirm', body, { session }),
          };
        }
        case 'logout':
          return { expected: model.logout(s), res: await t.api.delete('/api/sessions/current', { session }) };
      }
    };

    for (const a of actions) {
      const { res, expected } = await call(a);
      const where = `after ${JSON.stringify(a)}`;
      if (expected) {
        expect(res.status, where).toBe(expected.status);
        if ('code' in expected) {
          const codes =
            expected.code === 'NOT_LOCKED_OR_EXPIRED' ? ['NOT_LOCKED', 'LOCK_EXPIRED'] : [expected.code];
          expect(codes, where).toContain(res.body.error);
        }
        if (expected.status === 409 && 'seats' in expected)
          expect(res.body.unavailable, where).toEqual(ids(expected.seats));
        if (expected.status === 409 && 'soldOut' in expected) {
          expect(res.body.unavailable, where).toEqual([]);
          expect(res.body.soldOut, where).toEqual([areaID]);
        }
        if (expected.status === 200 && 'seats' in expected) {
          const { seatIDs: seats, places } = answer(expected.seats);
          expect([...res.body.seatIDs].sort(), where).toEqual(seats);
          expect(res.body.places, where).toEqual(places > 0 ? [{ areaID, quantity: places }] : undefined);
        }
        if ('chosen' in expected && expected.chosen)
          expect(res.body.chosen, where).toEqual(ids(expected.chosen));
        if ('released' in expected) {
          const { seatIDs: seats, places } = answer(expected.released);
          expect([...res.body.released].sort(), where).toEqual(seats);
          expect(res.body.releasedPlaces, where).toEqual(
            places > 0 ? [{ areaID, quantity: places }] : undefined,
          );
        }
      }
      const now = (await t.api.get(`/api/seats/${eventID}`)).body;
      expect(now.areas[0].available, `${where}: places available`).toBe(model.available());
      const listing = now.seats;
      const shown = listing.map((x: any) => ({
        status: x.status,
        lockUntil: x.lockUntil && Date.parse(x.lockUntil) - start,
      }));
      expect(shown, where).toEqual(model.view());
    }
    // Every hold in the seats table is one its session's session_holds row names (how it is found).
    await expectHoldsListed(t.container.db, eventID);
    // The money agrees with the seats: paid orders sum to the price of the sold seats.
    const paid = (
      await t.api.get(`/api/orders?customerID=${customerID}`, { admin: true })
    ).body.orders.filter((o: any) => o.status === 'paid');
    const sold = model.seats.filter((x) => x.confirmed).length;
    expect(paid.reduce((sum: number, o: any) => sum + o.amount, 0)).toBe(sold * 100);
  }

  it('every answer and the final state agree with the reference model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 40 }), (actions) => play(actions)),
      { numRuns: RUNS, interruptAfterTimeLimit: 20 * 60_000 },
    );
    console.log(`model fuzzing on ${store.name}: ${RUNS} sequences, ${requests} requests, no divergence`);
  });
});
