import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/clock.js';
import { webhookChannel } from '../../src/infra/alerts/webhook.js';
import { Alerter, BurstCounter } from '../../src/services/alert.service.js';

describe('alerting through a webhook', () => {
  let server: Server;
  let url: string;
  const received: { text: string }[] = [];
  let failNext = false;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (failNext) {
          failNext = false;
          res.writeHead(500).end();
          return;
        }
        received.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('posts Slack-compatible JSON, deduplicates one problem and caps an outage to a few messages', async () => {
    received.length = 0;
    const clock = new ManualClock();
    const alerter = new Alerter(webhookChannel(url, 'seats-test'), clock, {
      quietMs: 60_000,
      maxPerWindow: 3,
      windowMs: 600_000,
    });
    expect(await alerter.raise({ key: 'db', text: 'database unreachable' })).toBe(true);
    for (let i = 0; i < 1000; i++) await alerter.raise({ key: 'db', text: 'database unreachable' });
    expect(received).toEqual([{ text: '[seats-test] database unreachable' }]);

    clock.advance(61_000);
    await alerter.raise({ key: 'db', text: 'database unreachable' });
    expect(received[1]!.text).toBe(
      '[seats-test] database unreachable (1000 more like this since the last message)',
    );

    // Many different problems at once: the cap holds the flood to maxPerWindow messages.
    for (let i = 0; i < 50; i++) await alerter.raise({ key: `k${i}`, text: `problem ${i}` });
    expect(received).toHaveLength(3);
  });

  it('a failing webhook is reported, never thrown at the caller', async () => {
    const errors: unknown[] = [];
    const alerter = new Alerter(webhookChannel(url), new ManualClock(), {}, (e) => errors.push(e));
    failNext = true;
    expect(await alerter.raise({ key: 'x', text: 'voided charge' })).toBe(false);
    expect(errors).toHaveLength(1);
    const unreachable = new Alerter(
      webhookChannel('http://127.0.0.1:9/none', 'x', 500),
      new ManualClock(),
      {},
      (e) => errors.push(e),
    );
    expect(await unreachable.raise({ key: 'y', text: 'z' })).toBe(false);
    expect(errors).toHaveLength(2);
  });

  it('without a webhook configured nothing is sent', async () => {
    expect(await new Alerter(null, new ManualClock()).raise({ key: 'a', text: 'b' })).toBe(false);
  });

  it('a burst counter fires at its threshold within the window only', () => {
    const clock = new ManualClock();
    const burst = new BurstCounter(3, 10_000, clock);
    expect([burst.hit(), burst.hit()]).toEqual([false, false]);
    clock.advance(11_000);
    expect(burst.hit()).toBe(false);
    expect([burst.hit(), burst.hit()]).toEqual([false, true]);
  });
});
