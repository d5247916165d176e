import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRepository } from '../../src/infra/db/event.repository.js';
import { migrate } from '../../src/infra/db/migrate.js';
import { createPgliteDb } from '../../src/infra/db/pglite.js';
import { seatRepository } from '../../src/infra/db/seat.repository.js';
import type { Db } from '../../src/infra/db/db.js';
import { LayoutCache } from '../../src/services/layout-cache.js';
import type { SeatRepository } from '../../src/services/ports.js';

describe('the layout cache', () => {
  let db: Db;
  const events = () => eventRepository(db);

  beforeAll(async () => {
    db = await createPgliteDb('memory://');
    await migrate(db);
  });
  afterAll(() => db.close());

  async function newEvent(seats: number): Promise<string> {
    const id = randomUUID();
    await events().create({
      id,
      name: `event of ${seats}`,
      currency: 'EUR',
      now: new Date(),
      seats: Array.from({ length: seats }, (_, i) => ({ id: randomUUID(), name: `S${i + 1}`, price: 100 })),
    });
    return id;
  }

  /** The real seat repository, counting the layouts it is asked for. */
  function counted(): { seats: SeatRepository; loads: string[] } {
    const real = seatRepository(db);
    const loads: string[] = [];
    return {
      loads,
      seats: { ...real, layout: (id) => (loads.push(id), real.layout(id)) },
    };
  }

  it('keeps events up to a number of seats, the oldest out first, never the one just loaded', async () => {
    const [a, b, c] = [await newEvent(100), await newEvent(100), await newEvent(300)];
    const { seats, loads } = counted();
    const cache = new LayoutCache({ events: events(), seats }, 250);

    expect((await cache.get(a))!.seats.size).toBe(100);
    expect((await cache.get(b))!.seats.size).toBe(100);
    expect(cache.size).toEqual({ events: 2, rows: 202 });
    await cache.get(a);
    expect(loads).toEqual([a, b]);

    // Over the bound on its own: it stays, every older one goes.
    expect((await cache.get(c))!.seats.size).toBe(300);
    expect(cache.size).toEqual({ events: 1, rows: 301 });
    await cache.get(c);
    expect(loads).toEqual([a, b, c]);

    // Back again: loaded anew, and the larger one makes room.
    const again = await cache.get(a);
    expect([...again!.seats].map((s) => s.name)).toEqual(Array.from({ length: 100 }, (_, i) => `S${i + 1}`));
    expect(loads).toEqual([a, b, c, a]);
    expect(cache.size).toEqual({ events: 1, rows: 101 });
  });

  it('shares one load among requests that come while it runs, and forgets unknown events', async () => {
    const a = await newEvent(10);
    const { seats, loads } = counted();
    const cache = new LayoutCache({ events: events(), seats }, 1000);
    const [x, y] = await Promise.all([cache.get(a), cache.get(a)]);
    expect(x).toBe(y);
    expect(loads).toEqual([a]);

    const unknown = randomUUID();
    expect(await cache.get(unknown)).toBeNull();
    expect(cache.size).toEqual({ events: 1, rows: 11 });
  });
});
