import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawnPlace } from '../../src/domain/queue.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { queueOf } from '../helpers/queue.js';
import { seeded, seededBytes, spearman } from '../helpers/seeded.js';
import { testStores } from '../helpers/stores.js';

const stores = await testStores();
const EARLY = 120;
const LATE = 10;

/** Joins `n` new sessions one after another; returns them in arrival order. */
async function arrive(t: TestApp, q: ReturnType<typeof queueOf>, eventID: string, n: number) {
  const sessions: string[] = [];
  for (let i = 0; i < n; i++) {
    const sid = await t.api.session();
    expect((await q.join(eventID, sid)).status).toBe(201);
    sessions.push(sid);
  }
  return sessions;
}

/** Each session's rank (1 = first admitted) once the queue has opened, from what the routes say. */
async function ranks(q: ReturnType<typeof queueOf>, eventID: string, sessions: string[]) {
  const views = await Promise.all(sessions.map((s) => q.status(eventID, s)));
  const admitted = views.filter((v) => v.body.state === 'admitted').length;
  return views.map((v) => (v.body.state === 'admitted' ? 1 : v.body.position + admitted));
}

describe.each(stores.map((s) => [s.name, s] as const))('the opening on %s', (_name, store) => {
  let t: TestApp;
  let q: ReturnType<typeof queueOf>;
  const draws: number[] = [];
  beforeAll(async () => {
    const random = seeded(7);
    t = await startApp(store, {
      clock: 'manual',
      queue: {
        timers: false,
        drawPlace: () => {
          const place = drawnPlace(seededBytes(random, 7));
          draws.push(place);
          return place;
        },
      },
    });
    q = queueOf(t);
  });
  afterAll(() => t.close());

  it('orders early joiners by their drawn places, unrelated to arrival; late ones after, in arrival order', async () => {
    const { eventID } = await t.api.event();
    await q.open(eventID, { opensInMs: 60_000, admitPerMinute: 60 });
    const early = await arrive(t, q, eventID, EARLY);
    const drawn = draws.slice(-EARLY);
    // Nobody learns anything before the opening.
    for (const s of early.slice(0, 5)) expect((await q.status(eventID, s)).body.position).toBeNull();

    q.clock.advance(60_000);
    await q.step(eventID);
    const late = await arrive(t, q, eventID, LATE);
    const got = await ranks(q, eventID, [...early, ...late]);

    // Exactly the order of the places drawn at joining: the store sorts as the domain says.
    const byPlace = drawn.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
    const expected = new Array<number>(EARLY);
    byPlace.forEach(({ i }, r) => (expected[i] = r + 1));
    expect(got.slice(0, EARLY)).toEqual(expected);
    expect(got.slice(EARLY)).toEqual(Array.from({ length: LATE }, (_, i) => EARLY + i + 1));
    // And that order does not follow arrival: |rho| for 120 has a standard deviation of 0.09.
    const arrival = early.map((_, i) => i + 1);
    expect(Math.abs(spearman(arrival, got.slice(0, EARLY)))).toBeLessThan(0.3);
  });
});

describe("the opening with the operating system's random source", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(stores[0]!, { clock: 'manual', queue: { timers: false } });
  });
  afterAll(() => t.close());

  it('gives 200 early joiners an order unrelated to their arrival', async () => {
    const q = queueOf(t);
    const { eventID } = await t.api.event();
    await q.open(eventID, { opensInMs: 1000 });
    const early = await arrive(t, q, eventID, 200);
    q.clock.advance(1000);
    await q.step(eventID);
    const got = await ranks(q, eventID, early);
    expect([...got].sort((a, b) => a - b)).toEqual(early.map((_, i) => i + 1));
    // sd 0.071: 0.3 is over four of them, so this fails by chance about once in 40,000 runs.
    expect(
      Math.abs(
        spearman(
          early.map((_, i) => i + 1),
          got,
        ),
      ),
    ).toBeLessThan(0.3);
  });
});
