import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSession, sessionToken } from '../auth.js';
import type { AppServices } from '../app.js';
import {
  BestRequest,
  BestResponse,
  CancelRequest,
  CancelResponse,
  ConfirmRequest,
  ConfirmResponse,
  errors,
  IdempotencyHeaders,
  LockRequest,
  LockResponse,
  PaymentFailed,
  SESSION_SECURITY,
} from '../schemas.js';

// The hot path's answers are small, and so are its bodies: no compression hooks on these routes.
const SMALL = { compress: false, decompress: false } as const;

export const lifecycleRoutes =
  (s: AppServices): FastifyPluginAsyncTypebox =>
  async (app) => {
    const session = requireSession(s.sessions);

    app.post(
      '/api/lock',
      {
        ...SMALL,
        // No preHandler: the session is checked in the same step as the seats (one round trip).
        schema: {
          tags: ['seats'],
          operationId: 'lockSeats',
          summary:
            'Hold seats and standing places, all or nothing; refreshes every hold of the session in the event',
          description:
            'Holds every listed seat and the asked number of places in each standing area, or nothing. A ' +
            'success gives everything the session holds in the event one deadline, now + LOCK_TTL_SECONDS, ' +
            "capped at the hold's beginning + MAX_HOLD_SECONDS. Seats sold or held by another session: `409 " +
            'SEATS_UNAVAILABLE` listing them in `unavailable`; areas without enough free places are listed ' +
            'in `soldOut`. MAX_SEATS_PER_SESSION counts seats and places together.',
          security: SESSION_SECURITY,
          body: LockRequest,
          response: { 200: LockResponse, ...errors(400, 401, 404, 409, 422, 429, 503) },
        },
      },
      (request) => {
        const { eventID, seatIDs = [], places } = request.body;
        return s.locks.lock(sessionToken(request), eventID, seatIDs, places);
      },
    );

    app.post(
      '/api/lock/best',
      {
        ...SMALL,
        schema: {
          tags: ['seats'],
          operationId: 'lockBestSeats',
          summary: 'Pick the best free seats side by side in one row and hold them, in one step',
          description:
            "Best means nearest the front (sections in the venue's order, then rows front to back), then " +
            'nearest the middle of the row; if the venue ranks its seats, the block whose worst seat ranks ' +
            'best, then the lowest sum of ranks. A block that would leave a single free seat stranded next ' +
            'to it is avoided when another block in the same row, or in a row as good, does not. Holds ' +
            "like `POST /api/lock` (and refreshes the session's other holds in the event). In a rush picks " +
            'share a view of the event for up to 250 ms (released seats end it as their notice arrives); a ' +
            'hold that runs out in that time may be passed over. No fitting block (judged on a view taken ' +
            'after the request arrived): `409 NO_SEATS_TOGETHER`.',
          security: SESSION_SECURITY,
          body: BestRequest,
          response: { 200: BestResponse, ...errors(400, 401, 404, 409, 422, 429, 503) },
        },
      },
      (request) => {
        const { eventID, ...filter } = request.body;
        return s.best.lock(sessionToken(request), { eventId: eventID, ...filter });
      },
    );

    app.post(
      '/api/cancel-lock',
      {
        ...SMALL,
        schema: {
          tags: ['seats'],
          operationId: 'cancelLocks',
          summary: 'Release held seats: the listed ones, or all (in the event, if given)',
          description:
            'Releases the listed seats this session holds, or without `seatIDs` all its holds, standing ' +
            'places included (`releasedPlaces`), in `eventID` if given. Seats it does not hold are ignored; ' +
            'sold seats are never released.',
          security: SESSION_SECURITY,
          body: CancelRequest,
          response: { 200: CancelResponse, ...errors(400, 401, 404, 429, 503) },
        },
      },
      (request) => s.locks.cancel(sessionToken(request), request.body.eventID, request.body.seatIDs),
    );

    app.post(
      '/api/confirm',
      {
        ...SMALL,
        preHandler: session,
        schema: {
          tags: ['seats'],
          operationId: 'confirmSeats',
          summary: 'Pay for held seats and turn them into a reservation',
          description:
            'Send an `Idempotency-Key` to make retries safe: the same key and body replay the first answer ' +
            '(201 or 402) with no new charge; a concurrent duplicate waits for the first to finish.',
          security: SESSION_SECURITY,
          headers: IdempotencyHeaders,
          body: ConfirmRequest,
          response: {
            201: ConfirmResponse,
            402: PaymentFailed,
            ...errors(400, 401, 404, 409, 422, 429, 503),
          },
        },
      },
      async (request, reply) => {
        const sess = request.session!;
        const { 'idempotency-key': key } = request.headers as { 'idempotency-key'?: string };
        const run = () => s.confirms.confirm(sess, request.body, key);
        const outcome = key ? await s.idempotency.run(sess.id, key, request.body, run) : await run();
        return reply.code(outcome.status).send(outcome.body);
      },
    );
  };
