import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Queryable } from '../../src/infra/db/db.js';
import type { HoldStore } from '../../src/services/ports.js';
import { holdRepository } from '../../src/infra/db/hold.repository.js';
import { cleanupRepository } from '../../src/infra/db/cleanup.repository.js';
import type { ManualClock } from '../../src/infra/clock.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { expectHoldsListed } from '../helpers/invariants.js';
import { testStores } from '../helpers/stores.js';

// Holds kept in the database: PGlite and PostgreSQL (with Redis holding them, the seats table never does).
const stores = (await testStores()).filter((s) => s.name !== 'redis');

/**
 * Updates of seats made by `run` inside one transaction, and how many were HOT (no new index entry). The
 * counters include earlier transactions of the connection not yet reported, so the difference is taken.
 */
async function seatUpdates(tx: Queryable, run: () => Promise<unknown>) {
  const read = async () =>
    (
      await tx.query<{ all: number; hot: number }>(
        `SELECT pg_stat_get_xact_tuples_updated('seats'::regclass)::int AS all,
                pg_stat_get_xact_tuples_hot_updated('seats'::regclass)::int AS hot`,
      )
    ).rows[0]!;
  const before = await read();
  await run();
  const after = await read();
  return { all: after.all - before.all, hot: after.hot - before.hot };
}

describe.each(stores.map((s) => [s.name, s] as const))('holds as HOT updates on %s', (_name, store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(store, { clock: 'manual' });
  });
  afterAll(() => t.close());

  async function eventWithSession() {
    const { eventID, seatIDs } = await t.api.event({ rows: 2, seatsPerRow: 6, price: 100 });
    return { eventID, seatIDs, token: await t.api.session() };
  }

  /** The database as seen from inside one transaction: each store's call runs in it. */
  const within = (tx: Queryable): Db => ({
    ...t.container.db,
    query: (sql, params) => tx.query(sql, params),
    transaction: (fn) => fn(tx),
  });

  /** Runs the hold store's calls inside one transaction, and answers what they did to the seats. */
  async function inOneTransaction(run: (holds: HoldStore) => Promise<unknown>) {
    return t.container.db.transaction((tx) => seatUpdates(tx, () => run(holdRepository(within(tx)))));
  }

  it('a lock, a lock of more seats, a release and a logout write every seat as a HOT update', async () => {
    const { eventID, seatIDs, token } = await eventWithSession();
    const session = () => t.container.services.sessions.proof(token)!;
    const until = () => new Date(t.clock.now().getTime() + 600_000);
    const acquire = (holds: HoldStore, ids: string[]) =>
      holds.acquire({
        session: session(),
        eventId: eventID,
        seatIds: ids,
        until: until(),
        capMs: 900_000,
        maxSeats: 10,
      });

    const counts = await inOneTransaction(async (holds) => {
      expect((await acquire(holds, seatIDs.slice(0, 2))).kind).toBe('ok');
      expect((await acquire(holds, seatIDs.slice(2, 4))).kind).toBe('ok');
      expect(
        (await holds.release({ session: session(), eventId: eventID, seatIds: [seatIDs[0]!] }))?.released,
      ).toEqual([seatIDs[0]]);
    });
    // 2 held; the same 2 given the new deadline and 2 more held; 1 released.
    expect(counts).toEqual({ all: 7, hot: 7 });
    await expectHoldsListed(t.container.db, eventID);

    const live = (await t.container.services.sessions.authenticate(token))!;
    const ended = await inOneTransaction((holds) => holds.endSession(live, t.clock.now()));
    expect(ended).toEqual({ all: 3, hot: 3 });
    expect(await holdRepository(t.container.db).heldBy(live.id, eventID)).toEqual([]);
  });

  it('the cleanup job releases lapsed holds as HOT updates and forgets their sessions', async () => {
    const { eventID, seatIDs, token } = await eventWithSession();
    const lock = await t.api.post('/api/lock', { eventID, seatIDs: seatIDs.slice(0, 3) }, { session: token });
    expect(lock.status).toBe(200);
    (t.clock as ManualClock).advance(601_000);
    const counts = await t.container.db.transaction((tx) =>
      seatUpdates(tx, async () => {
        const freed = await cleanupRepository(within(tx)).releaseExpired(t.clock.now(), 100);
        expect(freed.sort()).toEqual(seatIDs.slice(0, 3).sort());
      }),
    );
    expect(counts).toEqual({ all: 3, hot: 3 });
    const left = await t.container.db.query(`SELECT 1 FROM session_holds WHERE event_id = $1`, [eventID]);
    expect(left.rows).toEqual([]);
    const seats = await t.container.db.query<{ status: string }>(
      `SELECT DISTINCT status FROM seats WHERE id = ANY ($1::uuid[])`,
      [seatIDs.slice(0, 3)],
    );
    expect(seats.rows).toEqual([{ status: 'available' }]);
  });

  it('the cleanup job racing the same sessions locking again: every hold stays listed and shown', async () => {
    const { eventID, seatIDs } = await t.api.event({ rows: 4, seatsPerRow: 10, price: 100 });
    const sessions = await Promise.all(Array.from({ length: 10 }, () => t.api.session()));
    // Session i holds seats 2i and 2i+1; once they lapse it asks for 2i+1 and 2i+2 (its neighbour's
    // lapsed one) while two cleanup runs free lapsed holds.
    for (const [i, sid] of sessions.entries()) {
      const lock = await t.api.post(
        '/api/lock',
        { eventID, seatIDs: seatIDs.slice(2 * i, 2 * i + 2) },
        { session: sid },
      );
      expect(lock.status).toBe(200);
    }
    (t.clock as ManualClock).advance(601_000);
    const [locks] = await Promise.all([
      Promise.all(
        sessions.map((sid, i) =>
          t.api.post(
            '/api/lock',
            { eventID, seatIDs: [seatIDs[2 * i + 1], seatIDs[2 * i + 2]] },
            { session: sid },
          ),
        ),
      ),
      t.container.cleanup.runOnce(),
      t.container.cleanup.runOnce(),
    ]);
    await expectHoldsListed(t.container.db, eventID);
    const shown = (await t.api.get(`/api/seats/${eventID}`)).body.seats as {
      seatID: string;
      status: string;
    }[];
    const held = new Set(shown.filter((x) => x.status === 'locked').map((x) => x.seatID));
    const won = locks.flatMap((l) => (l.status === 200 ? (l.body.seatIDs as string[]) : []));
    expect(new Set(won).size, 'no seat won twice').toBe(won.length);
    expect([...held].sort()).toEqual([...won].sort());
    expect(locks.every((l) => l.status === 200 || l.status === 409)).toBe(true);
    // What the cleanup left: nothing lapsed still marked held, and no row naming only lapsed holds.
    await t.container.cleanup.runOnce();
    const stale = await t.container.db.query(
      `SELECT id FROM seats WHERE event_id = $1 AND status = 'locked' AND lock_until <= $2`,
      [eventID, t.clock.now()],
    );
    expect(stale.rows).toEqual([]);
  });
});
