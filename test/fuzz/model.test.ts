import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/infra/clock.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';
import { LOCK_TTL, MAX_SEATS, Model, SESSION_TTL, type Expected } from './model.js';

const SEATS = 6;
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
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('lock' as const), who, seats: seatList }) },
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
      },
    });
    clock = t.clock as ManualClock;
  });
  afterAll(() => t.close());

  async function play(actions: Action[]) {
    const { eventID, seatIDs } = await t.api.event({ rows: 1, seatsPerRow: SEATS, price: 100 });
    const customerID = await t.api.customer();
    const model = new Model(SEATS);
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
        case 'lock':
          return {
            expected: model.lock(s, a.seats),
            res: await t.api.post('/api/lock', { eventID, seatIDs: ids(a.seats) }, { session }),
          };
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
        if (expected.status === 200 && 'seats' in expected)
          expect([...res.body.seatIDs].sort(), where).toEqual(ids(expected.seats).sort());
        if ('chosen' in expected && expected.chosen)
          expect(res.body.chosen, where).toEqual(ids(expected.chosen));
        if ('released' in expected)
          expect([...res.body.released].sort(), where).toEqual(ids(expected.released).sort());
      }
      const listing = (await t.api.get(`/api/seats/${eventID}`)).body.seats;
      const shown = listing.map((x: any) => ({
        status: x.status,
        lockUntil: x.lockUntil && Date.parse(x.lockUntil) - start,
      }));
      expect(shown, where).toEqual(model.view());
    }
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
