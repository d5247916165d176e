import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics.js';
import { webhookChannel } from '../../src/infra/alerts/webhook.js';
import { ManualClock, systemClock } from '../../src/infra/clock.js';
import { TestPaymentGateway } from '../../src/infra/payments/test-gateway.js';
import { Monitor } from '../../src/monitor.js';
import { Alerter } from '../../src/services/alert.service.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';

const [pglite] = await testStores();

/** A payment gateway that takes so long that the hold runs out meanwhile (the clock moves during the charge). */
class SlowGateway extends TestPaymentGateway {
  constructor(private readonly clock: ManualClock) {
    super();
  }
  override charge(req: Parameters<TestPaymentGateway['charge']>[0]) {
    this.clock.advance(11 * 60_000);
    return super.charge(req);
  }
}

describe('metrics and alerts', () => {
  let receiver: Server;
  const alerts: string[] = [];
  let t: TestApp;
  let monitor: Monitor;
  const clock = new ManualClock();
  const metrics = createMetrics();
  let gateway: SlowGateway;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        alerts.push((JSON.parse(body) as { text: string }).text);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`;
    // The alerter keeps real time: the service's manual clock jumps minutes during the slow payments.
    monitor = new Monitor({
      metrics,
      alerter: new Alerter(webhookChannel(url), systemClock),
      clock: systemClock,
    });
    gateway = new SlowGateway(clock);
    t = await startApp(pglite!, {
      clock,
      telemetry: monitor,
      metrics,
      payments: gateway,
      onServerError: () => monitor.serverError(),
    });
  });
  afterAll(async () => {
    await t.close().catch(() => undefined); // its database was closed on purpose
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(pred()).toBe(true);
  };
  const scrape = async () => (await t.app.inject({ method: 'GET', url: '/metrics' })).body;

  it('counts locks by result and seats per event', async () => {
    const { eventID, seatIDs } = await t.api.event();
    const [a, b] = [await t.api.session(), await t.api.session()];
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: a });
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: b });
    const text = await scrape();
    expect(text).toMatch(/seat_lock_attempts_total\{result="ok"\} 1/);
    expect(text).toMatch(/seat_lock_attempts_total\{result="conflict"\} 1/);
    expect(text).toContain(`event_seats{event="${eventID}",state="held"} 1`);
    expect(text).toContain(`event_seats{event="${eventID}",state="sold"} 0`);
  });

  it('a hold that ran out during payment voids the charge, counts it and alerts once', async () => {
    const { eventID, seatIDs } = await t.api.event();
    const customerID = await t.api.customer();
    for (const seat of seatIDs.slice(0, 3)) {
      const sid = await t.api.session();
      await t.api.post('/api/lock', { eventID, seatIDs: [seat] }, { session: sid });
      const res = await t.api.post(
        '/api/confirm',
        { eventID, customerID, payment: { token: 'tok_ok' } },
        { session: sid },
      );
      expect(res.status).toBe(409);
      expect(res.body.error).toBe('LOCK_EXPIRED');
    }
    expect([...gateway.charges.values()].every((c) => c.voided)).toBe(true);
    expect(await scrape()).toMatch(/payments_voided_total\{reason="hold_lost"\} 3/);
    expect(await scrape()).toMatch(/seat_confirms_total\{result="rejected"\} 3/);
    await until(() => alerts.some((a) => a.includes('voided')));
    expect(alerts.filter((a) => a.includes('voided'))).toHaveLength(1);
  });

  it('alerts on the cleanup job failing repeatedly, and on a burst of 5xx', async () => {
    monitor.cleanupFailed();
    monitor.cleanupFailed();
    expect(alerts.some((a) => a.includes('cleanup'))).toBe(false);
    monitor.cleanupFailed();
    await until(() => alerts.some((a) => a.includes('cleanup job failed 3 times')));

    await t.container.db.close();
    for (let i = 0; i < 12; i++) expect((await t.api.get('/api/events')).status).toBe(503);
    await until(() => alerts.some((a) => a.includes('Burst of server errors')));
  });

  it('alerts when the database is unreachable twice in a row, and when it is back', async () => {
    let up = false;
    const readiness = () => Promise.resolve({ database: up });
    await monitor.probe(readiness);
    expect(alerts.some((a) => a.includes('unreachable'))).toBe(false);
    await monitor.probe(readiness);
    await until(() => alerts.some((a) => a.includes('database is unreachable')));
    up = true;
    await monitor.probe(readiness);
    await until(() => alerts.some((a) => a.includes('database is reachable again')));
    const count = alerts.length;
    await monitor.probe(readiness);
    expect(alerts).toHaveLength(count);
  });
});
