import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestPaymentGateway } from '../../src/infra/payments/test-gateway.js';
import type { ChargeResult } from '../../src/services/ports.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const stores = await testStores();
const ALL = [
  'reservation.confirmed',
  'reservation.cancelled',
  'order.failed',
  'payment.voided',
  'event.sold_out',
];

/** The test gateway, plus a token whose charge fails as if the provider were down (a void follows). */
class FlakyGateway extends TestPaymentGateway {
  override charge(req: Parameters<TestPaymentGateway['charge']>[0]): Promise<ChargeResult> {
    if (req.token === 'tok_providerDown') return Promise.reject(new Error('provider down'));
    return super.charge(req);
  }
}

describe.each(stores.map((s) => [s.name, s] as const))('webhooks on %s', (_name, store) => {
  let t: TestApp;
  const receivers: WebhookReceiver[] = [];
  beforeAll(async () => {
    t = await startApp(store, { payments: new FlakyGateway(), webhookDelivery: { pollMs: 50 } });
  });
  afterAll(() => t.close());
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.down();
    for (const w of (await t.api.get('/api/webhooks', { admin: true })).body.webhooks)
      await t.api.delete(`/api/webhooks/${w.webhookID}`, { admin: true });
  });

  async function receiver(events = ALL) {
    const r = await WebhookReceiver.start();
    receivers.push(r);
    const created = await t.api.post('/api/webhooks', { url: r.url, events }, { admin: true });
    expect(created.status).toBe(201);
    r.secret = created.body.secret;
    return { r, webhookID: created.body.webhookID as string };
  }

  it('registers, lists without secrets, deletes, and refuses bad input with 400', async () => {
    const created = await t.api.post(
      '/api/webhooks',
      { url: 'https://example.com/hooks', events: ['reservation.confirmed'] },
      { admin: true },
    );
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      webhookID: expect.any(String),
      url: 'https://example.com/hooks',
      events: ['reservation.confirmed'],
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const list = await t.api.get('/api/webhooks', { admin: true });
    expect(list.body.webhooks).toEqual([
      {
        webhookID: created.body.webhookID,
        url: 'https://example.com/hooks',
        events: ['reservation.confirmed'],
        createdAt: expect.any(String),
      },
    ]);
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    for (const body of [
      { url: 'ftp://example.com/x', events: ['reservation.confirmed'] },
      { url: 'not a url', events: ['reservation.confirmed'] },
      { url: 'https://example.com/x', events: [] },
      { url: 'https://example.com/x', events: ['seat.exploded'] },
      { url: 'https://example.com/x', events: ['order.failed', 'order.failed'] },
      { url: 'https://example.com/x' },
    ]) {
      const res = await t.api.post('/api/webhooks', body, { admin: true });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe('VALIDATION_ERROR');
    }
    expect((await t.api.post('/api/webhooks', { url: 'https://x.y', events: ['order.failed'] })).status).toBe(
      401,
    );
    const id = created.body.webhookID;
    expect((await t.api.get(`/api/webhooks/${id}/deliveries?limit=0`, { admin: true })).status).toBe(400);
    expect((await t.api.get(`/api/webhooks/${id}/deliveries?limit=x`, { admin: true })).status).toBe(400);
    expect((await t.api.get(`/api/webhooks/${id}/deliveries`, { admin: true })).body).toEqual({
      deliveries: [],
    });
    expect((await t.api.delete(`/api/webhooks/${id}`, { admin: true })).status).toBe(204);
    expect((await t.api.delete(`/api/webhooks/${id}`, { admin: true })).status).toBe(404);
    expect((await t.api.delete('/api/webhooks/nope', { admin: true })).status).toBe(404);
    expect((await t.api.get(`/api/webhooks/${id}/deliveries`, { admin: true })).status).toBe(404);
  });

  it('a real receiver gets every kind of event, signed, and verifies it with the Standard Webhooks library', async () => {
    const { r, webhookID } = await receiver();
    const failures = await receiver(['order.failed']);
    const { eventID, seatIDs } = await t.api.event({ rows: 1, seatsPerRow: 3, price: 1500 });
    const customerID = await t.api.customer();
    const session = await t.api.session();
    const pay = (token: string) =>
      t.api.post('/api/confirm', { eventID, customerID, payment: { token } }, { session });

    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session });
    expect((await pay('tok_chargeDeclined')).status).toBe(402);
    expect((await pay('tok_providerDown')).status).toBe(503);
    const sale = await pay('tok_visa');
    expect(sale.status).toBe(201);
    await t.api.post('/api/lock', { eventID, seatIDs: seatIDs.slice(1) }, { session });
    expect((await pay('tok_visa')).status).toBe(201);
    // The sell-out is told once the event is found with nothing left on sale, just after the sale; a
    // refund before that look would put seats back on sale first. Generous bounds: a busy machine.
    await r.until(() => r.ofType('event.sold_out').length === 1, 30_000, 'the sell-out');
    const cancel = await t.api.post(
      `/api/reservations/${sale.body.reservation.reservationID}/cancel`,
      undefined,
      {
        admin: true,
      },
    );
    expect(cancel.status).toBe(200);

    // Generous: the worker delivers within a second or so, but this machine may be busy with other suites.
    await r.until(() => r.unique().size >= 7, 30_000, 'seven messages');
    expect(r.rejected).toEqual([]);
    const types = [...r.unique().values()].map((m) => m.type).sort();
    expect(types).toEqual([
      'event.sold_out',
      'order.failed',
      'order.failed',
      'payment.voided',
      'reservation.cancelled',
      'reservation.confirmed',
      'reservation.confirmed',
    ]);
    const confirmed = r
      .ofType('reservation.confirmed')
      .find((m) => m.data.reservation.reservationID === sale.body.reservation.reservationID);
    expect(confirmed?.data).toEqual(sale.body);
    expect(r.ofType('reservation.cancelled')[0]!.data).toEqual(cancel.body);
    expect(r.ofType('event.sold_out')[0]!.data).toEqual({ eventID, name: 'Test event', seatCount: 3 });
    expect(
      r
        .ofType('order.failed')
        .map((m) => m.data.reason)
        .sort(),
    ).toEqual(['declined', 'gateway_error']);
    expect(r.ofType('payment.voided')[0]!.data).toMatchObject({
      reason: 'gateway_error',
      order: { status: 'failed' },
    });
    const message = r.received[0]!;
    expect(JSON.parse(message.body)).toEqual({
      type: message.type,
      timestamp: expect.any(String),
      data: message.data,
    });
    expect(Math.abs(Number(message.timestamp) - Date.now() / 1000)).toBeLessThan(60);

    // A webhook gets only the types it asked for; a receiver with another secret rejects the delivery.
    await failures.r.until(() => failures.r.received.length >= 2, 10_000, 'two order.failed');
    expect(failures.r.received.map((m) => m.type)).toEqual(['order.failed', 'order.failed']);
    expect(r.received.length).toBe(r.unique().size); // a healthy receiver gets each message once

    const log = await t.api.get(`/api/webhooks/${webhookID}/deliveries?limit=3`, { admin: true });
    expect(log.body.deliveries).toHaveLength(3);
    expect(log.body.deliveries[0]).toEqual({
      messageID: expect.any(String),
      eventType: expect.any(String),
      attempt: 1,
      statusCode: 204,
      error: null,
      result: 'delivered',
      durationMs: expect.any(Number),
      at: expect.any(String),
    });
  });

  it('a receiver with the wrong secret rejects every delivery, and the log shows the 400s', async () => {
    const { r, webhookID } = await receiver(['reservation.confirmed']);
    r.secret = `whsec_${Buffer.from('not the secret at all, 32 bytes').toString('base64')}`;
    const { eventID, seatIDs } = await t.api.event({ rows: 1, seatsPerRow: 1, price: 100 });
    const session = await t.api.session();
    await t.api.post('/api/lock', { eventID, seatIDs }, { session });
    const customerID = await t.api.customer();
    await t.api.post('/api/confirm', { eventID, customerID, payment: { token: 'tok_visa' } }, { session });
    await r.until(() => r.rejected.length > 0);
    expect(r.rejected[0]).toMatch(/No matching signature/);
    await expect
      .poll(
        async () =>
          (await t.api.get(`/api/webhooks/${webhookID}/deliveries`, { admin: true })).body.deliveries[0],
      )
      .toMatchObject({ statusCode: 400, result: 'retrying', error: 'answered 400' });
  });
});
