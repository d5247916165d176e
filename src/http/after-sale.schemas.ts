import { Type } from 'typebox';
import { WEBHOOK_EVENT_TYPES } from '../domain/types.js';
import { Id, Order, Reservation, Time } from './schemas.js';

/** Schemas of refunds, seat history and webhooks: one source for validation, types and OpenAPI. */

const RESERVATION_ID = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const EVENT_ID = '0b7e4c1a-2d3f-4a5b-9c8d-7e6f5a4b3c2d';
const SEAT_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const WEBHOOK_ID = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const MESSAGE_ID = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
const CUSTOMER_ID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const ORDER_ID = '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d';

export const ReservationParams = Type.Object({ reservationID: Type.String({ maxLength: 64 }) });

export const CancelledReservation = Type.Object(
  { reservation: Reservation, order: Order },
  {
    examples: [
      {
        reservation: {
          reservationID: RESERVATION_ID,
          customerID: CUSTOMER_ID,
          eventID: EVENT_ID,
          seatIDs: [SEAT_ID],
          orderID: ORDER_ID,
          status: 'cancelled',
        },
        order: {
          orderID: ORDER_ID,
          customerID: CUSTOMER_ID,
          amount: 2500,
          currency: 'EUR',
          status: 'refunded',
        },
      },
    ],
  },
);

const SeatStatus = Type.Union([Type.Literal('available'), Type.Literal('locked'), Type.Literal('confirmed')]);

export const HistoryQuery = Type.Object({
  seatID: Type.Optional(Type.String({ maxLength: 64, description: 'Only this seat; else every seat.' })),
});

export const SeatHistory = Type.Object(
  {
    changes: Type.Array(
      Type.Object({
        seatID: Id,
        at: Time,
        from: SeatStatus,
        to: SeatStatus,
        reason: Type.Union([Type.Literal('sale'), Type.Literal('refund')]),
      }),
    ),
  },
  {
    examples: [
      {
        changes: [
          {
            seatID: SEAT_ID,
            at: '2030-01-01T10:00:00.000Z',
            from: 'locked',
            to: 'confirmed',
            reason: 'sale',
          },
          {
            seatID: SEAT_ID,
            at: '2030-01-02T09:30:00.000Z',
            from: 'confirmed',
            to: 'available',
            reason: 'refund',
          },
          {
            seatID: SEAT_ID,
            at: '2030-01-02T09:41:12.000Z',
            from: 'locked',
            to: 'confirmed',
            reason: 'sale',
          },
        ],
      },
    ],
  },
);

const EventType = Type.Enum(WEBHOOK_EVENT_TYPES, { description: 'What happened.' });
const EventTypes = Type.Array(EventType, { minItems: 1, uniqueItems: true });
const WebhookUrl = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'Where deliveries are POSTed: an absolute http(s) URL. Redirects are not followed.',
});

export const WebhookCreate = Type.Object(
  { url: WebhookUrl, events: EventTypes },
  {
    examples: [
      { url: 'https://example.com/hooks/seats', events: ['reservation.confirmed', 'reservation.cancelled'] },
    ],
  },
);

export const WebhookCreated = Type.Object(
  {
    webhookID: Id,
    url: Type.String(),
    events: EventTypes,
    secret: Type.String({
      description:
        'Signs every delivery (Standard Webhooks, HMAC-SHA256). Shown only in this answer: keep it.',
    }),
  },
  {
    examples: [
      {
        webhookID: WEBHOOK_ID,
        url: 'https://example.com/hooks/seats',
        events: ['reservation.confirmed', 'reservation.cancelled'],
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      },
    ],
  },
);

export const WebhookList = Type.Object(
  {
    webhooks: Type.Array(
      Type.Object({ webhookID: Id, url: Type.String(), events: EventTypes, createdAt: Time }),
    ),
  },
  {
    examples: [
      {
        webhooks: [
          {
            webhookID: WEBHOOK_ID,
            url: 'https://example.com/hooks/seats',
            events: ['reservation.confirmed'],
            createdAt: '2030-01-01T09:00:00.000Z',
          },
        ],
      },
    ],
  },
);

export const WebhookParams = Type.Object({ webhookID: Type.String({ maxLength: 64 }) });
export const DeliveryQuery = Type.Object({
  limit: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,4}$', description: 'How many attempts, newest first: 1–1000 (100).' }),
  ),
});

export const DeliveryLog = Type.Object(
  {
    deliveries: Type.Array(
      Type.Object({
        messageID: Type.String({ description: 'The `webhook-id` header of the delivery.' }),
        eventType: EventType,
        attempt: Type.Integer({ description: '1 for the first try of this message to this webhook.' }),
        statusCode: Type.Union([Type.Integer(), Type.Null()], {
          description: 'The receiver’s HTTP status; null when it did not answer.',
        }),
        error: Type.Union([Type.String(), Type.Null()]),
        result: Type.Union([Type.Literal('delivered'), Type.Literal('retrying'), Type.Literal('failed')], {
          description: '`failed`: retried for 24 h without success; given up (and an alert sent).',
        }),
        durationMs: Type.Integer(),
        at: Time,
      }),
    ),
  },
  {
    examples: [
      {
        deliveries: [
          {
            messageID: MESSAGE_ID,
            eventType: 'reservation.confirmed',
            attempt: 2,
            statusCode: 200,
            error: null,
            result: 'delivered',
            durationMs: 41,
            at: '2030-01-01T10:00:07.000Z',
          },
          {
            messageID: MESSAGE_ID,
            eventType: 'reservation.confirmed',
            attempt: 1,
            statusCode: null,
            error: 'no answer within 10000 ms',
            result: 'retrying',
            durationMs: 10001,
            at: '2030-01-01T10:00:00.000Z',
          },
        ],
      },
    ],
  },
);
