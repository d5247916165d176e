import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { confirmBurstThenKill } from '../helpers/burst.js';
import { request } from '../helpers/http.js';
import { startServer } from '../helpers/server-process.js';
import { testStores } from '../helpers/stores.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const stores = await testStores();
const SEATS = 40;

describe.each(stores.map((s) => [s.name, s] as const))(
  'kill -9 right after a burst of confirms, %s',
  (name, store) => {
    const cleanups: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it("after a restart, every committed sale's webhook is delivered", async () => {
      let env: Record<string, string>;
      if (name === 'pglite') {
        const dir = mkdtempSync(join(tmpdir(), 'seats-webhooks-crash-'));
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
        env = { DATA_DIR: join(dir, 'data') };
      } else {
        const db = await store.create();
        cleanups.push(() => db.drop());
        env = db.env;
      }
      // A short timeout makes a short lease: the dead process's claims are taken over within seconds.
      env = {
        ...env,
        ADMIN_TOKEN,
        SEED_DEMO: 'false',
        RATE_LIMIT_PER_MINUTE: '0',
        WEBHOOK_TIMEOUT_SECONDS: '1',
      };
      const receiver = await WebhookReceiver.start();
      cleanups.push(() => receiver.down());
      const server = await startServer(env);
      const { base } = server;
      const hook = await request(base, 'POST', '/api/webhooks', {
        admin: ADMIN_TOKEN,
        body: { url: receiver.url, events: ['reservation.confirmed'] },
      });
      receiver.secret = hook.body.secret;
      // Every confirm at once; the process dies as soon as the first few are answered, with sales just
      // committed whose messages are still in the outbox (or in the middle of being sent).
      const { eventID, answers } = await confirmBurstThenKill(server, SEATS);
      const acknowledged = answers.filter((id): id is string => id !== null);
      const before = receiver.unique().size;

      const restarted = await startServer(env);
      cleanups.push(() => void restarted.child.kill('SIGKILL'));
      const committed = (
        await request(restarted.base, 'GET', `/api/events/${eventID}/reservations`, { admin: ADMIN_TOKEN })
      ).body.reservations.map((r: any) => r.reservationID as string);
      expect(committed).toEqual(expect.arrayContaining(acknowledged));
      expect(committed.length).toBeLessThan(SEATS); // the kill really interrupted the burst
      const told = () =>
        new Set(receiver.ofType('reservation.confirmed').map((m) => m.data.reservation.reservationID));
      await receiver.until(
        () => told().size >= committed.length,
        30_000,
        'a webhook for every committed sale',
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(told()).toEqual(new Set(committed)); // every committed sale told, and nothing that did not commit
      expect(receiver.rejected).toEqual([]);
      restarted.child.kill('SIGTERM');
      expect(await restarted.exited).toBe(0);
      console.log(
        `${name}: ${acknowledged.length} confirms acknowledged before kill -9, ${committed.length} committed, ` +
          `${before} told before the kill, all ${told().size} after the restart`,
      );
    });
  },
);
