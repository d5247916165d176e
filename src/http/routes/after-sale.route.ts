import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireAdmin } from '../auth.js';
import type { AppServices } from '../app.js';
import { CancelledReservation, HistoryQuery, ReservationParams, SeatHistory } from '../after-sale.schemas.js';
import { ADMIN_SECURITY, errors, EventParams } from '../schemas.js';

/** Refunds and the history of every seat (admin). */
export const afterSaleRoutes =
  (s: AppServices, adminToken: string): FastifyPluginAsyncTypebox =>
  async (app) => {
    const admin = requireAdmin(adminToken);

    app.post(
      '/api/reservations/:reservationID/cancel',
      {
        onRequest: admin,
        schema: {
          tags: ['reservations'],
          operationId: 'cancelReservation',
          summary: 'Cancel a reservation: refund its charge and put its seats back on sale (admin)',
          description:
            'The charge is refunded through the payment gateway first; if that fails the answer is `503` ' +
            'and nothing changed. Then, in one transaction, the reservation becomes `cancelled`, the order ' +
            '`refunded`, the seats `available` (the live seat map shows them free at once), and a ' +
            '`reservation.cancelled` webhook is queued. Repeating the request answers the same and refunds ' +
            'nothing again. With the built-in test gateway, a charge paid with token `tok_refundDeclined` ' +
            'cannot be refunded (`503`), to try the failure.',
          security: ADMIN_SECURITY,
          params: ReservationParams,
          response: { 200: CancelledReservation, ...errors(401, 404, 503) },
        },
      },
      (request) => s.refunds.cancel(request.params.reservationID),
    );

    app.get(
      '/api/events/:eventID/history',
      {
        onRequest: admin,
        schema: {
          tags: ['events'],
          operationId: 'getSeatHistory',
          summary: "Every sale and refund of an event's seats, oldest first (admin)",
          description:
            'Each change is written in the same transaction as the sale or refund itself. With `seatID`, ' +
            'only that seat (a seat not in the event is `400`).',
          security: ADMIN_SECURITY,
          params: EventParams,
          querystring: HistoryQuery,
          response: { 200: SeatHistory, ...errors(400, 401, 404, 503) },
        },
      },
      (request) => s.history.changes(request.params.eventID, request.query.seatID),
    );
  };
