import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';
import { categories, smallVenue } from '../helpers/venues.js';

const stores = await testStores();

/** The small venue with one change made by `edit` (on a deep copy). */
const variant = (edit: (v: any) => void) => {
  const v = structuredClone(smallVenue) as any;
  edit(v);
  return v;
};

describe.each(stores.map((s) => [s.name, s] as const))('venues on %s', (_name, store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(store);
  });
  afterAll(() => t.close());

  it('creates a venue: seats named <section> <row>-<number>, categories, areas', async () => {
    const res = await t.api.post('/api/events', smallVenue, { admin: true });
    expect(res.status).toBe(201);
    // Seats only: the 100 standing places are not seats.
    expect(res.body).toEqual({ eventID: expect.any(String), name: 'Hamlet', seatCount: 9 });

    const map = await t.api.get(`/api/seats/${res.body.eventID}`);
    expect(map.status).toBe(200);
    expect(map.body.seats.map((s: any) => s.name)).toEqual([
      'Stalls A-1',
      'Stalls A-2',
      'Stalls A-3',
      'Stalls B-1',
      'Stalls B-2',
      'Stalls B-3',
      'Stalls B-4',
      'Balcony A-1',
      'Balcony A-2',
    ]);
    expect(map.body.seats[0]).toEqual({
      seatID: expect.any(String),
      name: 'Stalls A-1',
      status: 'available',
      price: 6500,
      lockUntil: null,
      lockedByMe: false,
      section: 'Stalls',
      row: 'A',
      number: 1,
      category: 'A',
      accessible: true,
    });
    expect(map.body.seats[7]).toMatchObject({
      section: 'Balcony',
      price: 3500,
      category: 'B',
      accessible: false,
    });
    expect(map.body.categories).toEqual(categories);
    expect(map.body.areas).toEqual([
      {
        areaID: expect.any(String),
        name: 'Standing',
        category: 'B',
        price: 3500,
        capacity: 100,
        available: 100,
      },
    ]);

    const listed = (await t.api.get('/api/events')).body.events.find(
      (e: any) => e.eventID === res.body.eventID,
    );
    expect(listed).toMatchObject({ seatCount: 9, availableCount: 9 });
  });

  it('seats of a venue are held and sold like any other, at their category price', async () => {
    const { eventID } = (await t.api.post('/api/events', smallVenue, { admin: true })).body;
    const seats = (await t.api.get(`/api/seats/${eventID}`)).body.seats;
    const sid = await t.api.session();
    const wanted = [seats[0].seatID, seats[7].seatID];
    expect((await t.api.post('/api/lock', { eventID, seatIDs: wanted }, { session: sid })).status).toBe(200);
    const paid = await t.api.post(
      '/api/confirm',
      { eventID, customerID: await t.api.customer(), payment: { token: 'tok_ok' } },
      { session: sid },
    );
    expect(paid.status).toBe(201);
    expect(paid.body.order.amount).toBe(6500 + 3500);
  });

  it('a standing-only venue has no seats, only its area', async () => {
    const res = await t.api.post(
      '/api/events',
      { name: 'Rave', currency: 'EUR', categories, areas: [{ name: 'Floor', category: 'B', capacity: 500 }] },
      { admin: true },
    );
    expect(res.status).toBe(201);
    expect(res.body.seatCount).toBe(0);
    const map = (await t.api.get(`/api/seats/${res.body.eventID}`)).body;
    expect(map.seats).toEqual([]);
    expect(map.areas).toMatchObject([{ name: 'Floor', capacity: 500, available: 500 }]);
  });

  it('old events show no venue fields', async () => {
    const { eventID } = await t.api.event({ rows: 1, seatsPerRow: 2, price: 100 });
    const map = (await t.api.get(`/api/seats/${eventID}`)).body;
    expect(Object.keys(map.seats[0]).sort()).toEqual(
      ['seatID', 'name', 'status', 'price', 'lockUntil', 'lockedByMe'].sort(),
    );
    expect(map).not.toHaveProperty('areas');
    expect(map).not.toHaveProperty('categories');
  });

  const bad: [string, unknown, string][] = [
    [
      'an unknown category on a row',
      variant((v) => (v.sections[1].rows[0].category = 'VIP')),
      'sections[1].rows[0].category',
    ],
    ['an unknown category on an area', variant((v) => (v.areas[0].category = 'C')), 'areas[0].category'],
    [
      'a category key twice',
      variant((v) => v.categories.push({ key: 'A', label: 'Again', price: 1 })),
      'categories[2].key',
    ],
    ['a section name twice', variant((v) => (v.sections[1].name = 'Stalls')), 'sections[1].name'],
    [
      'a row name twice in a section',
      variant((v) => (v.sections[0].rows[1].name = 'A')),
      'sections[0].rows[1].name',
    ],
    [
      'a seat number twice in a row',
      variant((v) => v.sections[0].rows[0].seats.push({ number: 2 })),
      'sections[0].rows[0].seats[3].number',
    ],
    [
      'an area name twice',
      variant((v) => v.areas.push({ name: 'Standing', category: 'A', capacity: 5 })),
      'areas[1].name',
    ],
    ['an empty venue', variant((v) => ((v.sections = []), (v.areas = []))), 'sections'],
    ['no sections and no areas', variant((v) => (delete v.sections, delete v.areas)), 'sections'],
    [
      'more than 100,000 seats',
      variant((v) => {
        v.sections = [1, 2].map((i) => ({
          name: `S${i}`,
          rows: [{ name: 'A', category: 'A', seats: 60_000 }],
        }));
      }),
      'sections',
    ],
    ['ranks on some seats only', variant((v) => (v.sections[0].rows[0].seats[0].rank = 1)), 'sections'],
    [
      'two seats that would share a name',
      variant((v) => {
        v.sections = [
          { name: 'A B', rows: [{ name: 'C', category: 'A', seats: 1 }] },
          { name: 'A', rows: [{ name: 'B C', category: 'A', seats: 1 }] },
        ];
      }),
      'sections',
    ],
    ['a capacity of 0', variant((v) => (v.areas[0].capacity = 0)), 'capacity'],
    ['a negative capacity', variant((v) => (v.areas[0].capacity = -5)), 'capacity'],
    ['a fractional capacity', variant((v) => (v.areas[0].capacity = 1.5)), 'capacity'],
    ['a capacity as text', variant((v) => (v.areas[0].capacity = '10')), 'capacity'],
    ['a row of 0 seats', variant((v) => (v.sections[0].rows[1].seats = 0)), 'seats'],
    ['a section with no rows', variant((v) => (v.sections[1].rows = [])), 'rows'],
    ['no categories', variant((v) => (v.categories = [])), 'categories'],
    ['a layout as well', variant((v) => (v.layout = { rows: 1, seatsPerRow: 1, price: 1 })), 'layout'],
  ];
  it.each(bad)('refuses %s with 400 naming the field, and creates nothing', async (_case, body, field) => {
    const before = (await t.api.get('/api/events')).body.events.length;
    const res = await t.api.post('/api/events', body, { admin: true });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_ERROR');
    expect(res.body.message).toContain(field);
    expect((await t.api.get('/api/events')).body.events.length).toBe(before);
  });

  it('creates a 100,000-seat venue in one request, seats in order', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({
      name: `R${i + 1}`,
      category: i < 20 ? 'A' : 'B',
      seats: 1000,
    }));
    const started = Date.now();
    const res = await t.api.post(
      '/api/events',
      { name: 'Stadium', currency: 'EUR', categories, sections: [{ name: 'Bowl', rows }] },
      { admin: true },
    );
    const took = Date.now() - started;
    expect(res.status).toBe(201);
    expect(res.body.seatCount).toBe(100_000);
    console.log(`100,000-seat venue on ${store.name}: created in ${took} ms`);
    const seats = (await t.api.get(`/api/seats/${res.body.eventID}`)).body.seats;
    expect(seats).toHaveLength(100_000);
    expect(seats[99_999]).toMatchObject({ name: 'Bowl R100-1000', row: 'R100', number: 1000, price: 3500 });
    expect(seats[19_999]).toMatchObject({ name: 'Bowl R20-1000', price: 6500 });
  });
});

describe('the demo event', () => {
  it('is a small venue: two sections, two categories, accessible seats and a standing area', async () => {
    const t = await startApp(stores[0]!, { env: { SEED_DEMO: 'true' } });
    try {
      const [demo] = (await t.api.get('/api/events')).body.events;
      expect(demo).toMatchObject({ name: 'Demo Concert', seatCount: 200 });
      const map = (await t.api.get(`/api/seats/${demo.eventID}`)).body;
      expect([...new Set(map.seats.map((s: any) => s.section))]).toEqual(['Stalls', 'Balcony']);
      expect(map.categories.map((c: any) => c.label)).toEqual(['Premium', 'Standard']);
      expect(map.seats.filter((s: any) => s.accessible).map((s: any) => s.name)).toEqual([
        'Stalls G-1',
        'Stalls G-2',
        'Stalls G-19',
        'Stalls G-20',
      ]);
      expect(map.areas).toMatchObject([{ name: 'Standing', capacity: 100, available: 100 }]);
      const best = await t.api.post(
        '/api/lock/best',
        { eventID: demo.eventID, quantity: 3, category: 'standard' },
        { session: await t.api.session() },
      );
      expect(best.status).toBe(200);
      expect(best.body.chosen).toHaveLength(3);
    } finally {
      await t.close();
    }
  });
});
