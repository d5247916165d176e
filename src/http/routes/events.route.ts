import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { loadSession, requireAdmin } from '../auth.js';
import type { AppServices } from '../app.js';
import {
  ADMIN_SECURITY,
  errors,
  EventCreate,
  EventCreated,
  EventList,
  EventParams,
  OrderList,
  OrderQuery,
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
        schema: {
          tags: ['events'],
          summary: 'Create an event from a layout or a list of seats (admin)',
          security: ADMIN_SECURITY,
          body: EventCreate,
          response: { 201: EventCreated, ...errors(400, 401, 413, 503) },
        },
      },
      async (request, reply) => reply.code(201).send(await s.events.create(request.body)),
    );

    app.get(
      '/api/events',
      { schema: { tags: ['events'], summary: 'List events', response: { 200: EventList, ...errors(503) } } },
      () => s.events.list(),
    );

    app.get(
      '/api/events/:eventID/reservations',
      {
        onRequest: admin,
        schema: {
          tags: ['events'],
          summary: "An event's reservations with their orders (admin)",
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
          summary: 'Orders, failed ones included, optionally of one customer (admin)',
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
          summary: "An event's seat map; a session, if sent, marks its own seats",
          params: EventParams,
          response: { 200: SeatList, ...errors(404, 503) },
        },
      },
      // Serialized by hand: for 10,000 seats JSON.stringify is about 3x faster than the schema serializer
      // (the status and lockUntil unions are slow paths there); the schema still documents the shape.
      async (request, reply) =>
        reply
          .type('application/json; charset=utf-8')
          .serializer(JSON.stringify)
          .send(await s.events.seats(request.params.eventID, request.session)),
    );
  };
