import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDb } from '../../src/wiring.js';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { confirmBurstThenKill } from '../helpers/burst.js';
import { request } from '../helpers/http.js';
import { startServer } from '../helpers/server-process.js';
import { testStores } from '../helpers/stores.js';

const stores = await testStores();
const SEATS = 60;

/** Confirmed seats, reservation seats and paid orders must agree exactly. */
async function checkConsistency(env: Record<string, string>, eventID: string) {
  const db = await openDb(loadConfig({ ...env, SEED_DEMO: 'false' }));
  try {
    const q = async (sql: string) => (await db.query<{ n: number }>(sql, [eventID])).rows[0]!.n;
    const confirmed = await q(
      `SELECT count(*)::int AS n FROM seats WHERE event_id = $1 AND status = 'confirmed'`,
    );
    const reserved = await q(
      `SELECT count(*)::int AS n FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id WHERE r.event_id = $1`,
    );
    const orphanSeats = await q(
      `SELECT count(*)::int AS n FROM seats s WHERE s.event_id = $1 AND s.status = 'confirmed'
          AND NOT EXISTS (SELECT 1 FROM reservation_seats rs WHERE rs.seat_id = s.id)`,
    );
    const paid = await q(
      `SELECT coalesce(sum(amount), 0)::int AS n FROM orders WHERE event_id = $1 AND status = 'paid'`,
    );
    const soldValue = await q(
      `SELECT coalesce(sum(price), 0)::int AS n FROM seats WHERE event_id = $1 AND status = 'confirmed'`,
    );
    const paidWithout = await q(
      `SELECT count(*)::int AS n FROM orders o WHERE o.event_id = $1 AND o.status = 'paid'
          AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.order_id = o.id)`,
    );
    return { confirmed, reserved, orphanSeats, paid, soldValue, paidWithout };
  } finally {
    await db.close();
  }
}

describe.each(stores.map((s) => [s.name, s] as const))(
  'kill -9 during a burst of confirms, %s',
  (name, store) => {
    const dirs: string[] = [];
    const drops: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const d of drops) await d();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('after a restart on the same data, confirmed seats, reservations and paid orders agree', async () => {
      let env: Record<string, string>;
      if (name === 'pglite') {
        const dir = mkdtempSync(join(tmpdir(), 'seats-crash-'));
        dirs.push(dir);
        env = { DATA_DIR: join(dir, 'data') };
      } else {
        const db = await store.create();
        drops.push(() => db.drop());
        env = db.env;
      }
      env = { ...env, ADMIN_TOKEN, SEED_DEMO: 'false', RATE_LIMIT_PER_MINUTE: '0' };
      const server = await startServer(env);
      const { eventID, answers } = await confirmBurstThenKill(server, SEATS);
      const acknowledged = answers.filter((a) => a !== null).length;

      const restarted = await startServer(env);
      try {
        const seats = (await request(restarted.base, 'GET', `/api/seats/${eventID}`)).body.seats;
        const sold = seats.filter((s: any) => s.status === 'confirmed').length;
        // Nothing acknowledged is lost; something may have committed after the last answer got out.
        expect(sold).toBeGreaterThanOrEqual(acknowledged);
        restarted.child.kill('SIGTERM');
        expect(await restarted.exited).toBe(0);
      } finally {
        restarted.child.kill('SIGKILL');
      }
      const c = await checkConsistency(env, eventID);
      expect(c.confirmed).toBe(c.reserved);
      expect(c.orphanSeats).toBe(0);
      expect(c.paidWithout).toBe(0);
      expect(c.paid).toBe(c.soldValue);
      expect(c.confirmed).toBeGreaterThanOrEqual(acknowledged);
      expect(acknowledged).toBeGreaterThanOrEqual(3);
      expect(c.confirmed).toBeLessThan(SEATS); // the kill really interrupted the burst
      console.log(
        `${name}: ${acknowledged} confirms acknowledged before kill -9, ${c.confirmed} seats sold after restart`,
      );
    });
  },
);
