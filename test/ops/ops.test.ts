import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorMessages } from '../../src/domain/errors.js';
import type { PaymentGateway } from '../../src/services/ports.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';

const stores = await testStores();

describe.each(stores.map((s) => [s.name, s] as const))('operations on %s', (_name, store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(store);
  });
  afterAll(() => t.close());

  it('healthz and readyz answer 200', async () => {
    expect((await t.api.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await t.api.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database).toBe(true);
  });

  it('metrics are Prometheus text with per-route latency', async () => {
    await t.api.get('/api/events');
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/events",status="200"\} \d+/,
    );
    expect(res.body).toContain('process_cpu_seconds_total');
  });

  it('the OpenAPI document covers every route of the contract', async () => {
    const doc = (await t.api.get('/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /api/sessions',
        'DELETE /api/sessions/current',
        'POST /api/customers',
        'POST /api/events',
        'GET /api/events',
        'GET /api/events/{eventID}/reservations',
        'GET /api/orders',
        'GET /api/seats/{eventID}',
        'POST /api/lock',
        'POST /api/cancel-lock',
        'POST /api/confirm',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'POST /api/reservations/{reservationID}/cancel',
        'GET /api/events/{eventID}/history',
        'POST /api/webhooks',
        'GET /api/webhooks',
        'DELETE /api/webhooks/{webhookID}',
        'GET /api/webhooks/{webhookID}/deliveries',
      ]),
    );
    // The after-sale answers come with examples.
    const example = (path: string, method: string, status: string) =>
      doc.paths[path][method].responses[status].content['application/json'].example;
    expect(example('/api/reservations/{reservationID}/cancel', 'post', '200').order.status).toBe('refunded');
    expect(example('/api/webhooks', 'post', '201').secret).toMatch(/^whsec_/);
    expect(example('/api/webhooks/{webhookID}/deliveries', 'get', '200').deliveries).toHaveLength(2);
    expect(example('/api/events/{eventID}/history', 'get', '200').changes).toHaveLength(3);
    for (const code of Object.keys(errorMessages)) expect(doc.info.description).toContain(code);
  });

  it('serves interactive docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/swagger/i);
  });

  it('sends security headers and a request id: an API set on JSON, the full set on pages', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/events' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(res.headers['x-request-id']).toMatch(/^[\w-]+$/);
    // Errors too: the headers are set before anything can fail.
    const missing = await t.app.inject({ method: 'GET', url: '/api/seats/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['x-content-type-options']).toBe('nosniff');

    const page = await t.app.inject({ method: 'GET', url: '/' });
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });
});

const pglite = stores[0]!;

describe('rate limiting', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(pglite, { env: { RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(() => t.close());

  it('answers 429 RATE_LIMITED with Retry-After past the limit, per session', async () => {
    const sid = 'some-session-token';
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await t.api.get('/api/events', { session: sid }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[3]!.body.error).toBe('RATE_LIMITED');
    expect(Number(answers[3]!.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.api.get('/api/events', { session: 'another-session' })).status).toBe(200);
    expect((await t.api.get('/healthz')).status).toBe(200);
  });
});

describe('failures inside the service', () => {
  let t: TestApp;
  afterAll(() => t.close());

  it('a payment provider failure is a 503 with Retry-After that reveals nothing, and no sale', async () => {
    const broken: PaymentGateway = {
      charge: () => Promise.reject(new Error('secret internal detail: gateway socket hang up')),
      void: () => Promise.resolve(),
      refund: () => Promise.reject(new Error('secret internal detail: gateway socket hang up')),
    };
    t = await startApp(pglite, { payments: broken });
    const { eventID, seatIDs } = await t.api.event();
    const sid = await t.api.session();
    const customerID = await t.api.customer();
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session: sid });
    const res = await t.api.post(
      '/api/confirm',
      { eventID, customerID, payment: { token: 'tok_ok' } },
      { session: sid },
    );
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body.error).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify(res.body)).not.toContain('secret');
    const seat = (await t.api.get(`/api/seats/${eventID}`, { session: sid })).body.seats[0];
    expect(seat).toMatchObject({ status: 'locked', lockedByMe: true });
  });

  it('readyz turns 503 when the database is gone', async () => {
    await t.container.db.close();
    const res = await t.api.get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('SERVICE_UNAVAILABLE');
    t = await startApp(pglite); // a live one for afterAll to close
  });
});
