import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const stores = await testStores();
const shareable = stores.filter((s) => s.name !== 'pglite'); // one embedded database per process

async function register(t: TestApp, receiver: WebhookReceiver, events = ['reservation.confirmed']) {
  const res = await t.api.post('/api/webhooks', { url: receiver.url, events }, { admin: true });
  expect(res.status).toBe(201);
  receiver.secret = res.body.secret;
}

/** Locks one seat in a new session and confirms it; how long the confirm itself took (ms). */
async function buyOne(t: TestApp, eventID: string, seatID: string, customerID: string) {
  const session = await t.api.session();
  expect((await t.api.post('/api/lock', { eventID, seatIDs: [seatID] }, { session })).status).toBe(200);
  const started = performance.now();
  const res = await t.api.post(
    '/api/confirm',
    { eventID, customerID, payment: { token: 'tok_visa' } },
    { session },
  );
  const ms = performance.now() - started;
  expect(res.status).toBe(201);
  return { ms, reservationID: res.body.reservation.reservationID as string };
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;

describe.each(shareable.map((s) => [s.name, s] as const))(
  'two instances on one %s database',
  (_name, store) => {
    let a: Awaited<ReturnType<typeof startApp>>;
    let b: TestApp;
    let receiver: WebhookReceiver;
    beforeAll(async () => {
      a = await startApp(store, { webhookDelivery: { pollMs: 20 } });
      b = await startApp(store, { shared: { env: a.dbEnv }, webhookDelivery: { pollMs: 20 } });
      receiver = await WebhookReceiver.start();
    });
    afterAll(async () => {
      await receiver.down();
      await b.close();
      await a.close();
    });

    it('deliver each message once between them, whichever instance made the sale', async () => {
      await register(a, receiver);
      const { eventID, seatIDs } = await a.api.event({ rows: 3, seatsPerRow: 10, price: 1200 });
      const customerID = await a.api.customer();
      const sold = await Promise.all(
        seatIDs.map((seat, i) => buyOne(i % 2 ? b : a, eventID, seat, customerID)),
      );
      await receiver.until(() => receiver.unique().size >= seatIDs.length);
      // Give a duplicate time to show up, should either instance send one.
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.rejected).toEqual([]);
      expect(receiver.received).toHaveLength(seatIDs.length);
      expect(new Set(receiver.received.map((m) => m.data.reservation.reservationID))).toEqual(
        new Set(sold.map((s) => s.reservationID)),
      );
    });
  },
);

describe.each(stores.map((s) => [s.name, s] as const))('a receiver that hangs, on %s', (name, store) => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    t = await startApp(store, { env: { WEBHOOK_TIMEOUT_SECONDS: '2' }, webhookDelivery: { pollMs: 50 } });
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver.down();
    await t.close();
  });

  it('does not slow confirms: their latency with it stays close to without it', async () => {
    const N = 25;
    const { eventID, seatIDs } = await t.api.event({ rows: 2, seatsPerRow: N, price: 800 });
    const customerID = await t.api.customer();
    const timed = async (seats: string[]) => {
      const ms: number[] = [];
      for (const seat of seats) ms.push((await buyOne(t, eventID, seat, customerID)).ms);
      return ms;
    };
    await timed(seatIDs.slice(0, 3)); // warm-up
    const before = await timed(seatIDs.slice(3, N));
    receiver.mode = 'hang';
    await register(t, receiver, ['reservation.confirmed', 'event.sold_out']);
    const during = await timed(seatIDs.slice(N, 2 * N - 3));
    const [p50, p90] = [percentile(before, 0.5), percentile(before, 0.9)];
    const [h50, h90] = [percentile(during, 0.5), percentile(during, 0.9)];
    console.log(
      `${name}: confirm p50/p90 ${p50.toFixed(1)}/${p90.toFixed(1)} ms without a webhook, ` +
        `${h50.toFixed(1)}/${h90.toFixed(1)} ms while its receiver hangs`,
    );
    // Generous: a shared two-core machine is noisy. A confirm that waited for the receiver would take
    // the full 2 s timeout.
    expect(h50).toBeLessThan(p50 * 3 + 25);
    expect(h90).toBeLessThan(500);
    // The sends really did hang, and were cut off by the timeout.
    const log = async () =>
      (
        await t.api.get(
          `/api/webhooks/${(await t.api.get('/api/webhooks', { admin: true })).body.webhooks[0].webhookID}/deliveries`,
          { admin: true },
        )
      ).body.deliveries;
    await expect
      .poll(log, { timeout: 8000, interval: 200 })
      .toContainEqual(
        expect.objectContaining({ error: 'no answer within 2000 ms', result: 'retrying', statusCode: null }),
      );
    expect(receiver.received).toEqual([]);
  });
});
