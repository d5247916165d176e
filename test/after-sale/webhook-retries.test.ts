import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics.js';
import { ManualClock } from '../../src/infra/clock.js';
import { outboxRepository } from '../../src/infra/db/outbox.repository.js';
import { Monitor } from '../../src/monitor.js';
import { Alerter } from '../../src/services/alert.service.js';
import type { GaveUp } from '../../src/services/webhook-delivery.service.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const stores = await testStores();
const HOUR = 3_600_000;

/** Retries on the manual clock: the worker is driven by hand (runOnce), a day passes in a second. */
describe.each(stores.map((s) => [s.name, s] as const))('webhook retries on %s', (_name, store) => {
  let t: TestApp;
  let clock: ManualClock;
  let receiver: WebhookReceiver;
  const alerts: string[] = [];
  const gaveUp: GaveUp[] = [];
  beforeAll(async () => {
    const probe = new ManualClock();
    const monitor = new Monitor({
      metrics: createMetrics(),
      alerter: new Alerter({ post: async (text) => void alerts.push(text) }, probe),
      clock: probe,
    });
    t = await startApp(store, {
      clock: 'manual',
      webhookDelivery: { pollMs: 0 },
      onWebhook: {
        onGiveUp: (d) => {
          gaveUp.push(d);
          monitor.webhookGaveUp(d);
        },
      },
    });
    clock = t.clock as ManualClock;
  });
  afterAll(() => t.close());
  afterEach(async () => {
    await receiver.down();
    for (const w of (await t.api.get('/api/webhooks', { admin: true })).body.webhooks)
      await t.api.delete(`/api/webhooks/${w.webhookID}`, { admin: true });
  });

  async function register(events = ['reservation.confirmed', 'reservation.cancelled']) {
    receiver = await WebhookReceiver.start();
    const res = await t.api.post('/api/webhooks', { url: receiver.url, events }, { admin: true });
    receiver.secret = res.body.secret;
    return res.body.webhookID as string;
  }

  async function sell(n: number) {
    const { eventID, seatIDs } = await t.api.event({ rows: 1, seatsPerRow: n, price: 900 });
    const customerID = await t.api.customer();
    const sales = [];
    for (const seat of seatIDs) {
      const session = await t.api.session();
      await t.api.post('/api/lock', { eventID, seatIDs: [seat] }, { session });
      const res = await t.api.post(
        '/api/confirm',
        { eventID, customerID, payment: { token: 'tok_visa' } },
        { session },
      );
      expect(res.status).toBe(201);
      sales.push(res.body);
    }
    return sales;
  }

  const due = async (webhookID: string) =>
    (
      await t.container.db.query<{ next: Date; attempts: number; status: string }>(
        `SELECT next_attempt_at AS next, attempts, status FROM webhook_deliveries WHERE webhook_id = $1`,
        [webhookID],
      )
    ).rows;

  it('a receiver failing, then down for hours, then back: every message arrives, duplicates share their webhook-id', async () => {
    const webhookID = await register();
    const sales = await sell(4);
    const refund = await t.api.post(
      `/api/reservations/${sales[0].reservation.reservationID}/cancel`,
      undefined,
      { admin: true },
    );
    expect(refund.status).toBe(200);

    // It reads each message, then answers 500 (as if it crashed while handling it): all retried.
    receiver.mode = 'fail';
    expect(await t.container.webhooks.runOnce()).toBe(5);
    expect(receiver.received).toHaveLength(5);
    const firstRetry = await due(webhookID);
    for (const d of firstRetry) {
      const wait = d.next.getTime() - clock.now().getTime();
      expect(wait).toBeGreaterThanOrEqual(5_000); // base 10 s, with equal jitter: 5–10 s
      expect(wait).toBeLessThanOrEqual(10_000);
    }
    expect(await t.container.webhooks.runOnce()).toBe(0); // nothing due before its time

    await receiver.down();
    let waits: number[] = [];
    for (let hour = 0; hour < 5; hour++) {
      clock.advance(HOUR);
      expect(await t.container.webhooks.runOnce()).toBe(5);
      waits = (await due(webhookID)).map((d) => d.next.getTime() - clock.now().getTime());
    }
    // Backed off exponentially: after six failures the next try is minutes away, not seconds.
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(160_000);

    receiver.mode = 'ok';
    await receiver.up();
    clock.advance(HOUR);
    expect(await t.container.webhooks.runOnce()).toBe(5);
    expect(await t.container.webhooks.runOnce()).toBe(0);

    expect(receiver.rejected).toEqual([]);
    const unique = receiver.unique();
    expect(unique.size).toBe(5);
    expect(receiver.received.length).toBe(10); // each once while failing, once when back
    for (const r of receiver.received) expect(r.body).toBe(unique.get(r.id)!.body);
    const told = [...unique.values()]
      .filter((m) => m.type === 'reservation.confirmed')
      .map((m) => m.data.reservation.reservationID)
      .sort();
    expect(told).toEqual(sales.map((s) => s.reservation.reservationID).sort());
    expect(receiver.ofType('reservation.cancelled')[0]!.data).toEqual(refund.body);

    const log = (await t.api.get(`/api/webhooks/${webhookID}/deliveries?limit=1000`, { admin: true })).body
      .deliveries;
    expect(log).toHaveLength(5 * 7);
    const one = log.filter((a: any) => a.messageID === log[0].messageID);
    expect(one.map((a: any) => [a.attempt, a.result])).toEqual([
      [7, 'delivered'],
      ...[6, 5, 4, 3, 2].map((n) => [n, 'retrying']),
      [1, 'retrying'],
    ]);
    expect(one.at(-1)).toMatchObject({ statusCode: 500, error: 'answered 500' });
    expect(one[1]).toMatchObject({ statusCode: null, error: expect.stringMatching(/^connection failed/) });
    expect(gaveUp).toEqual([]);
  });

  it('retries for 24 hours, then marks the message failed and alerts once', async () => {
    const webhookID = await register(['reservation.confirmed']);
    await receiver.down();
    const [sale] = await sell(1);
    let attempts = 0;
    for (let hour = 0; hour < 23; hour++) {
      attempts += await t.container.webhooks.runOnce();
      clock.advance(HOUR);
    }
    expect(await due(webhookID)).toMatchObject([{ status: 'pending' }]);
    expect(gaveUp).toEqual([]);
    for (let hour = 0; hour < 3; hour++) {
      attempts += await t.container.webhooks.runOnce();
      clock.advance(HOUR);
    }
    expect(await due(webhookID)).toMatchObject([{ status: 'failed' }]);
    expect(attempts).toBeGreaterThan(20); // at most an hour apart for a day
    expect(attempts).toBeLessThan(40); // but backed off, not hammering
    expect(gaveUp).toEqual([
      { webhookId: webhookID, messageId: expect.any(String), type: 'reservation.confirmed', attempts },
    ]);
    expect(alerts.filter((a) => a.includes(webhookID))).toHaveLength(1);
    expect(alerts.join()).not.toContain(receiver.url);
    clock.advance(2 * HOUR);
    expect(await t.container.webhooks.runOnce()).toBe(0);
    const log = (await t.api.get(`/api/webhooks/${webhookID}/deliveries`, { admin: true })).body.deliveries;
    expect(log[0]).toMatchObject({ result: 'failed', attempt: attempts, statusCode: null });
    expect(log).toHaveLength(attempts);
    expect(sale.reservation.status).toBe('confirmed');
  });

  it("a crashed worker's claim is taken over once its lease runs out, and the message delivered once", async () => {
    await register(['reservation.confirmed']);
    await sell(2);
    // Another instance claims both and dies before sending: its lease (25 s by default) holds them.
    const dead = outboxRepository(t.container.db);
    const now = clock.now();
    expect(await dead.claim(now, new Date(now.getTime() + 25_000), 10, randomUUID())).toHaveLength(2);
    expect(await t.container.webhooks.runOnce()).toBe(0);
    clock.advance(24_000);
    expect(await t.container.webhooks.runOnce()).toBe(0);
    clock.advance(1_000);
    expect(await t.container.webhooks.runOnce()).toBe(2);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.unique().size).toBe(2);
  });

  it('event.sold_out is told once per sell-out; a check lost to a crash is made up by the sweep', async () => {
    await register(['event.sold_out']);
    const sales = await sell(2);
    const soldOut = async () => {
      await t.container.webhooks.runOnce();
      return receiver.ofType('event.sold_out').length;
    };
    await expect.poll(soldOut).toBe(1); // the check after the last sale runs in the background
    await t.container.webhooks.sweepSoldOut();
    expect(await soldOut()).toBe(1);

    // Refunded and sold again: a second sell-out, told again.
    const eventID = sales[0].reservation.eventID;
    await t.api.post(`/api/reservations/${sales[0].reservation.reservationID}/cancel`, undefined, {
      admin: true,
    });
    await t.container.webhooks.sweepSoldOut();
    expect(await soldOut()).toBe(1);
    const session = await t.api.session();
    await t.api.post('/api/lock', { eventID, seatIDs: sales[0].reservation.seatIDs }, { session });
    const customerID = await t.api.customer();
    await t.api.post('/api/confirm', { eventID, customerID, payment: { token: 'tok_visa' } }, { session });
    await expect.poll(soldOut).toBe(2);

    // As if the process died between the last sale's commit and its check: the sweep tells it.
    await t.container.db.query('UPDATE events SET sold_out_at = NULL WHERE id = $1', [eventID]);
    await t.container.webhooks.sweepSoldOut();
    expect(await soldOut()).toBe(3);
    await t.container.webhooks.sweepSoldOut();
    expect(await soldOut()).toBe(3);
  });

  it('a deleted webhook gets nothing more, and its pending deliveries are dropped', async () => {
    const webhookID = await register(['reservation.confirmed']);
    await receiver.down();
    await sell(2);
    expect(await t.container.webhooks.runOnce()).toBe(2);
    expect((await t.api.delete(`/api/webhooks/${webhookID}`, { admin: true })).status).toBe(204);
    await receiver.up();
    clock.advance(HOUR);
    expect(await t.container.webhooks.runOnce()).toBe(0);
    await sell(1);
    expect(await t.container.webhooks.runOnce()).toBe(0);
    expect(receiver.received).toEqual([]);
    expect((await due(webhookID)).map((d) => d.status)).toEqual(['cancelled', 'cancelled']);
  });
});
