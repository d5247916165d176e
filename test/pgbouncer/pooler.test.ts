import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDb, openPostgresDb } from '../../src/infra/db/postgres.js';
import { startApp } from '../helpers/app.js';
import { freePort } from '../helpers/server-process.js';
import { pgbouncerStore, postgresAdminUrl } from '../helpers/stores.js';
import { liveApp, setupEvent, SseClient, type LiveApp } from '../stream/helpers.js';

// Through PgBouncer in transaction mode without DATABASE_DIRECT_URL: what breaks there must degrade
// safely. (The contract, race and live-map suites run through PgBouncer with a direct URL as well.)
const pooledOnly = await pgbouncerStore({ direct: false });

/** A fresh database through the pooler; `drop` throws it away. */
async function made() {
  const db = await pooledOnly!.create();
  return { env: db.env, drop: () => db.drop() };
}

describe.skipIf(!pooledOnly)('PostgreSQL through PgBouncer in transaction mode', () => {
  const store = pooledOnly!;

  it('refuses statement_timeout at connect: the pool then connects without it', async () => {
    const { env, drop } = await made();
    try {
      const eager = createPostgresDb({ connectionString: env.DATABASE_URL! });
      await expect(eager.query('SELECT 1')).rejects.toThrow(/unsupported startup parameter/);
      await eager.close();
      const db = await openPostgresDb({ connectionString: env.DATABASE_URL! });
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await db.close();
    } finally {
      await drop();
    }
  });

  it('hands LISTEN a connection that goes back to the pool: a NOTIFY is never heard', async () => {
    const { env, drop } = await made();
    const listener = new pg.Client({ connectionString: env.DATABASE_URL });
    try {
      await listener.connect();
      const heard: string[] = [];
      listener.on('notification', (m) => heard.push(m.payload ?? ''));
      await listener.query('LISTEN pooler_test');
      const direct = new pg.Client({ connectionString: directUrl(env.DATABASE_URL!) });
      await direct.connect();
      await direct.query(`NOTIFY pooler_test, 'hello'`);
      await direct.end();
      await new Promise((r) => setTimeout(r, 500));
      await listener.query('SELECT 1');
      expect(heard).toEqual([]);
    } finally {
      await listener.end();
      await drop();
    }
  });

  it('without DATABASE_DIRECT_URL migrates and books through the pooler', async () => {
    const t = await startApp(store);
    try {
      const { eventID, seatIDs } = await t.api.event();
      const sid = await t.api.session();
      expect(
        (await t.api.post('/api/lock', { eventID, seatIDs: seatIDs.slice(0, 2) }, { session: sid })).status,
      ).toBe(200);
      const customerID = await t.api.customer();
      const confirm = await t.api.post(
        '/api/confirm',
        { eventID, customerID, payment: { token: 'tok_visa' } },
        { session: sid },
      );
      expect(confirm.status).toBe(201);
      expect(confirm.body.order).toMatchObject({ amount: 5000, status: 'paid' });
      expect((await t.api.get('/readyz')).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('migrates on DATABASE_DIRECT_URL when given: an unreachable one stops the start', async () => {
    const { env, drop } = await made();
    try {
      const nowhere = `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`;
      await expect(
        startApp(store, { shared: { env: { ...env, DATABASE_DIRECT_URL: nowhere } } }),
      ).rejects.toThrow(/database is unavailable/);
    } finally {
      await drop();
    }
  });

  describe('two instances without DATABASE_DIRECT_URL', () => {
    let a: LiveApp;
    let b: LiveApp;
    const errors: string[] = [];
    beforeAll(async () => {
      const onFeedError = (e: unknown) => errors.push(e instanceof Error ? e.message : String(e));
      a = await liveApp(store, { onFeedError });
      b = await liveApp(store, { shared: a.env, onFeedError });
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
    });

    it('say that LISTEN hears nothing, and name the fix', () => {
      expect(errors.filter((m) => m.includes('DATABASE_DIRECT_URL'))).toHaveLength(2);
    });

    it("still show each other's changes, by re-reading every 2 s", async () => {
      const { eventID, seatIDs, session } = await setupEvent(a);
      const onB = await SseClient.open(`${b.base}/api/events/${eventID}/stream`);
      await onB.until(() => onB.messages.length === 1);
      const sid = await session();
      const lock = await a.call('POST', '/api/lock', {
        body: { eventID, seatIDs: [seatIDs[0]] },
        session: sid,
      });
      expect(lock.status).toBe(200);
      await onB.seat(seatIDs[0]!, 'locked', 4000);
      const seats = await b.call('GET', `/api/seats/${eventID}`);
      expect(seats.body.seats[0]).toMatchObject({ seatID: seatIDs[0], status: 'locked' });
      onB.close();
    });
  });
});

/** The database of a pooled URL, reached directly on the server. */
function directUrl(pooled: string): string {
  const url = new URL(pooled);
  url.host = new URL(postgresAdminUrl).host;
  return url.toString();
}
