import { Negotiator } from '@fastify/accept-negotiator';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { loadSession, requireAdmin } from '../auth.js';
import type { AppServices } from '../app.js';
import { eventFormErrors } from '../event-form-errors.js';
import {
  ADMIN_SECURITY,
  errors,
  EventCreate,
  EventCreated,
  EventList,
  EventParams,
  OrderList,
  OPTIONAL_SESSION,
  OrderQuery,
  PUBLIC,
  ReservationList,
  SeatList,
} from '../schemas.js';

// A 100,000-seat event listed seat by seat is a few MB; every other body stays small.
export const EVENT_BODY_LIMIT = 8 * 1024 * 1024;

export const eventRoutes =
  (s: AppServices, adminToken: string): FastifyPluginAsyncTypebox =>
  async (app) => {
    const admin = requireAdmin(adminToken);

    app.post(
      '/api/events',
      {
        onRequest: admin,
        bodyLimit: EVENT_BODY_LIMIT,
        schemaErrorFormatter: eventFormErrors,
        schema: {
          tags: ['events'],
          operationId: 'createEvent',
          summary: 'Create an event from a layout, a list of seats, or a venue (admin)',
          description:
            'A layout makes `rows` × `seatsPerRow` seats named row letter + number (`A1`, …, `Z20`, `AA1`, …), ' +
            'all at one price; a list names each seat and its price; a venue has sections of rows with price ' +
            'categories and standing areas, its seats named `<section> <row>-<number>`.',
          security: ADMIN_SECURITY,
          body: EventCreate,
          response: { 201: EventCreated, ...errors(400, 401, 413, 503) },
        },
      },
      async (request, reply) => reply.code(201).send(await s.events.create(request.body)),
    );

    app.get(
      '/api/events',
      {
        schema: {
          tags: ['events'],
          operationId: 'listEvents',
          summary: 'List events',
          description:
            'Every event, with its number of seats and of seats available now; `waitingRoom` when it has one.',
          security: PUBLIC,
          response: { 200: EventList, ...errors(429, 503) },
        },
      },
      async () => s.queue.annotate(await s.events.list()),
    );

    app.get(
      '/api/events/:eventID/reservations',
      {
        onRequest: admin,
        schema: {
          tags: ['events'],
          operationId: 'listReservations',
          summary: "An event's reservations with their orders (admin)",
          description: 'Every reservation of the event, each with its order.',
          security: ADMIN_SECURITY,
          params: EventParams,
          response: { 200: ReservationList, ...errors(401, 404, 503) },
        },
      },
      (request) => s.events.reservations(request.params.eventID),
    );

    app.get(
      '/api/orders',
      {
        onRequest: admin,
        schema: {
          tags: ['orders'],
          operationId: 'listOrders',
          summary: 'Orders, failed ones included, optionally of one customer (admin)',
          description: 'Paid, failed and (briefly) pending orders; all of them without `customerID`.',
          security: ADMIN_SECURITY,
          querystring: OrderQuery,
          response: { 200: OrderList, ...errors(401, 404, 503) },
        },
      },
      (request) => s.events.orders(request.query.customerID),
    );

    app.get(
      '/api/seats/:eventID',
      {
        preHandler: loadSession(s.sessions),
        schema: {
          tags: ['seats'],
          operationId: 'getSeatMap',
          summary: "An event's seat map; a session, if sent, marks its own seats",
          description:
            'Answers carry an `ETag`; send it back in `If-None-Match` to get `304 Not Modified` (no body) ' +
            'while nothing changed. The body is compressed (br or gzip) when `Accept-Encoding` allows.',
          security: OPTIONAL_SESSION,
          params: EventParams,
          headers: Type.Object({ 'if-none-match': Type.Optional(Type.String()) }),
          response: {
            200: SeatList,
            304: Type.Null({ description: 'Not modified: the ETag sent in If-None-Match is current' }),
            ...errors(404, 503),
          },
        },
      },
      async (request, typed) => {
        // The body is sent as the cached bytes, not through the schema's serializer.
        const reply = typed as unknown as FastifyReply;
        const doc = await s.seatMaps.get(request.params.eventID, request.session?.id ?? null);
        // no-cache: a client may keep it, but asks each time (a 304 when nothing changed).
        reply.header('etag', doc.etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding');
        reply.type('application/json; charset=utf-8');
        if (matches(request.headers['if-none-match'], doc.etag)) return reply.code(304).send();
        const encoding = encodings.negotiate(request.headers['accept-encoding'] ?? '');
        if (encoding === 'br' || encoding === 'gzip')
          return reply.header('content-encoding', encoding).send(await doc.encoded(encoding));
        return reply.send(doc.body);
      },
    );
  };

const encodings = new Negotiator({ supportedValues: ['br', 'gzip', 'identity'] });

/** If-None-Match: a list of tags, or `*`; weak tags (W/) compare by their value. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}
