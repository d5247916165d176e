import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startApp, type TestApp } from '../helpers/app.js';
import { engineStores } from '../helpers/stores.js';

const stores = await engineStores();
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe.each(stores.map((s) => [s.name, s] as const))('bad input on %s', (_name, store) => {
  let t: TestApp;
  let eventID: string;
  let seatIDs: string[];
  let session: string;
  let customerID: string;
  let snapshot: () => Promise<string>;

  beforeAll(async () => {
    t = await startApp(store);
    ({ eventID, seatIDs } = await t.api.event());
    session = await t.api.session();
    customerID = await t.api.customer();
    // One seat held by this session, one sold, so that bad requests have something they could wrongly change.
    const other = await t.api.session();
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[1]] }, { session: other });
    await t.api.post(
      '/api/confirm',
      { eventID, customerID, payment: { token: 'tok_ok' } },
      { session: other },
    );
    await t.api.post('/api/lock', { eventID, seatIDs: [seatIDs[0]] }, { session });
    snapshot = async () => {
      const rows = await t.container.db.query(
        'SELECT id, status, locked_by, lock_until FROM seats ORDER BY id',
      );
      const orders = await t.container.db.query('SELECT count(*)::int AS n FROM orders');
      return JSON.stringify([rows.rows, orders.rows]);
    };
  });
  afterAll(() => t.close());

  const raw = (method: 'POST' | 'GET', url: string, payload: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method,
      url,
      payload,
      headers: { 'content-type': 'application/json', 'x-session-id': session, ...headers },
    });

  const admin = (method: 'POST' | 'GET', url: string, payload: string) =>
    raw(method, url, payload, { authorization: `Bearer ${ADMIN_TOKEN}` });

  const cases: [string, () => Promise<{ statusCode: number; body: string }>, number, string][] = [
    ['malformed JSON', () => raw('POST', '/api/lock', '{"eventID": '), 400, 'VALIDATION_ERROR'],
    ['empty JSON body', () => raw('POST', '/api/lock', ''), 400, 'VALIDATION_ERROR'],
    ['JSON that is not an object', () => raw('POST', '/api/lock', '[1,2,3]'), 400, 'VALIDATION_ERROR'],
    ['null body', () => raw('POST', '/api/lock', 'null'), 400, 'VALIDATION_ERROR'],
    [
      'seatIDs a string',
      () => raw('POST', '/api/lock', JSON.stringify({ eventID: 'x', seatIDs: 'abc' })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'seatIDs numbers',
      () => raw('POST', '/api/lock', JSON.stringify({ eventID: UNKNOWN, seatIDs: [1, 2] })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'eventID a number',
      () => raw('POST', '/api/lock', JSON.stringify({ eventID: 7, seatIDs: ['a'] })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'empty seat list',
      () => raw('POST', '/api/lock', JSON.stringify({ eventID: UNKNOWN, seatIDs: [] })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'missing seat list',
      () => raw('POST', '/api/lock', JSON.stringify({ eventID: UNKNOWN })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'duplicate seats',
      () => raw('POST', '/api/lock', JSON.stringify({ eventID, seatIDs: [seatIDs[2], seatIDs[2]] })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'huge seat list',
      () =>
        raw(
          'POST',
          '/api/lock',
          JSON.stringify({ eventID, seatIDs: Array.from({ length: 5000 }, (_, i) => `s${i}`) }),
        ),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'injection-shaped seat ID',
      () =>
        raw('POST', '/api/lock', JSON.stringify({ eventID, seatIDs: ["' OR 1=1; DROP TABLE seats; --"] })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'injection-shaped event ID',
      () => raw('POST', '/api/lock', JSON.stringify({ eventID: "x' OR '1'='1", seatIDs: [seatIDs[3]] })),
      404,
      'NOT_FOUND',
    ],
    [
      'injection-shaped path',
      () => raw('GET', `/api/seats/${encodeURIComponent("1' OR '1'='1")}`, ''),
      404,
      'NOT_FOUND',
    ],
    [
      'seat of no event',
      () => raw('POST', '/api/lock', JSON.stringify({ eventID, seatIDs: [UNKNOWN] })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'unknown event',
      () => raw('POST', '/api/lock', JSON.stringify({ eventID: UNKNOWN, seatIDs: [seatIDs[3]] })),
      404,
      'NOT_FOUND',
    ],
    [
      'oversized body',
      () =>
        raw(
          'POST',
          '/api/lock',
          JSON.stringify({ eventID, seatIDs: [seatIDs[3]], pad: 'x'.repeat(200_000) }),
        ),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'not JSON',
      () => raw('POST', '/api/lock', 'eventID=1', { 'content-type': 'text/plain' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'confirm without payment',
      () => raw('POST', '/api/confirm', JSON.stringify({ eventID, customerID })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'confirm with an empty token',
      () => raw('POST', '/api/confirm', JSON.stringify({ eventID, customerID, payment: { token: '' } })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'confirm with a negative-looking customer',
      () =>
        raw('POST', '/api/confirm', JSON.stringify({ eventID, customerID: '-1', payment: { token: 't' } })),
      404,
      'NOT_FOUND',
    ],
    [
      'confirm of unknown seats',
      () =>
        raw(
          'POST',
          '/api/confirm',
          JSON.stringify({ eventID, customerID, seatIDs: [UNKNOWN], payment: { token: 't' } }),
        ),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'cancel with seatIDs not an array',
      () => raw('POST', '/api/cancel-lock', JSON.stringify({ seatIDs: 5 })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'customer without a name',
      () => raw('POST', '/api/customers', JSON.stringify({ name: '' })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'event with rows as a string',
      () =>
        raw(
          'POST',
          '/api/events',
          JSON.stringify({ name: 'E', currency: 'EUR', layout: { rows: '10', seatsPerRow: 2, price: 1 } }),
          {
            authorization: `Bearer ${ADMIN_TOKEN}`,
          },
        ),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'event with a bad currency',
      () =>
        raw(
          'POST',
          '/api/events',
          JSON.stringify({ name: 'E', currency: 'euro', layout: { rows: 1, seatsPerRow: 2, price: 1 } }),
          {
            authorization: `Bearer ${ADMIN_TOKEN}`,
          },
        ),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'event with a negative price',
      () =>
        raw(
          'POST',
          '/api/events',
          JSON.stringify({ name: 'E', currency: 'EUR', layout: { rows: 1, seatsPerRow: 2, price: -5 } }),
          {
            authorization: `Bearer ${ADMIN_TOKEN}`,
          },
        ),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'event too large',
      () =>
        raw(
          'POST',
          '/api/events',
          JSON.stringify({ name: 'E', currency: 'EUR', layout: { rows: 1000, seatsPerRow: 1000, price: 1 } }),
          {
            authorization: `Bearer ${ADMIN_TOKEN}`,
          },
        ),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'event with duplicate seat names',
      () =>
        raw(
          'POST',
          '/api/events',
          JSON.stringify({
            name: 'E',
            currency: 'EUR',
            seats: [
              { name: 'A', price: 1 },
              { name: 'A', price: 1 },
            ],
          }),
          {
            authorization: `Bearer ${ADMIN_TOKEN}`,
          },
        ),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'orders with a malformed customer',
      () => raw('GET', "/api/orders?customerID=';--", '', { authorization: `Bearer ${ADMIN_TOKEN}` }),
      404,
      'NOT_FOUND',
    ],
    [
      'cancel of an unknown reservation',
      () => admin('POST', `/api/reservations/${UNKNOWN}/cancel`, '{}'),
      404,
      'NOT_FOUND',
    ],
    [
      'cancel of a reservation ID that is no UUID',
      () => admin('POST', `/api/reservations/x'--/cancel`, '{}'),
      404,
      'NOT_FOUND',
    ],
    [
      'cancel without the admin token',
      () => raw('POST', `/api/reservations/${UNKNOWN}/cancel`, '{}'),
      401,
      'UNAUTHORIZED',
    ],
    [
      'webhook with a non-http URL',
      () =>
        admin(
          'POST',
          '/api/webhooks',
          JSON.stringify({ url: 'file:///etc/passwd', events: ['order.failed'] }),
        ),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'webhook with an unknown event type',
      () =>
        admin('POST', '/api/webhooks', JSON.stringify({ url: 'https://a.example', events: ['seat.sold'] })),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'webhook with a huge URL',
      () =>
        admin(
          'POST',
          '/api/webhooks',
          JSON.stringify({ url: `https://a.example/${'x'.repeat(5000)}`, events: ['order.failed'] }),
        ),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'deliveries with a huge limit',
      () => admin('GET', `/api/webhooks/${UNKNOWN}/deliveries?limit=99999`, ''),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'deliveries of an unknown webhook',
      () => admin('GET', `/api/webhooks/${UNKNOWN}/deliveries`, ''),
      404,
      'NOT_FOUND',
    ],
    [
      'history of a seat of no event',
      () => admin('GET', `/api/events/${eventID}/history?seatID=${UNKNOWN}`, ''),
      400,
      'VALIDATION_ERROR',
    ],
    [
      'history with two seat IDs',
      () => admin('GET', `/api/events/${eventID}/history?seatID=a&seatID=b`, ''),
      400,
      'VALIDATION_ERROR',
    ],
  ];

  it.each(cases)('%s: a clear 4xx, no seat or order changed', async (_label, send, status, code) => {
    const before = await snapshot();
    const res = await send();
    expect(res.statusCode).toBe(status);
    const body = JSON.parse(res.body);
    expect(body.error).toBe(code);
    expect(typeof body.message).toBe('string');
    expect(await snapshot()).toBe(before);
  });
});
