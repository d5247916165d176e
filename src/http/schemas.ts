import { Type, type TSchema } from 'typebox';

/** One source for validation, types and the OpenAPI document. */
export const Id = Type.String({ minLength: 1, maxLength: 64, description: 'An opaque ID (a UUID).' });
export const Time = Type.String({ format: 'date-time' });
export const MAX_SEAT_LIST = 100;

export const SeatIdList = Type.Array(Id, { minItems: 1, maxItems: MAX_SEAT_LIST, uniqueItems: true });

export const ErrorBody = Type.Object(
  { error: Type.String(), message: Type.String() },
  { additionalProperties: true, description: 'Every error: a stable code, a human message, and details.' },
);

export const SessionBody = Type.Object({ sessionID: Type.String(), expiresAt: Time });

export const CustomerCreate = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
export const Customer = Type.Object({ customerID: Id, name: Type.String() });

const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO-4217 code, e.g. EUR.' });
const Money = Type.Integer({
  minimum: 0,
  maximum: 100_000_000,
  description: 'In the minor unit: 2500 = 25.00.',
});
const EventName = Type.String({ minLength: 1, maxLength: 200 });

export const EventCreate = Type.Union([
  Type.Object({
    name: EventName,
    currency: Currency,
    layout: Type.Object({
      rows: Type.Integer({ minimum: 1, maximum: 1000 }),
      seatsPerRow: Type.Integer({ minimum: 1, maximum: 1000 }),
      price: Money,
    }),
  }),
  Type.Object({
    name: EventName,
    currency: Currency,
    seats: Type.Array(Type.Object({ name: Type.String({ minLength: 1, maxLength: 32 }), price: Money }), {
      minItems: 1,
      maxItems: 100_000,
    }),
  }),
]);
export const EventCreated = Type.Object({ eventID: Id, name: Type.String(), seatCount: Type.Integer() });
export const EventList = Type.Object({
  events: Type.Array(
    Type.Object({
      eventID: Id,
      name: Type.String(),
      currency: Type.String(),
      seatCount: Type.Integer(),
      availableCount: Type.Integer(),
    }),
  ),
});

export const Order = Type.Object({
  orderID: Id,
  customerID: Id,
  amount: Type.Integer(),
  currency: Type.String(),
  status: Type.Union(
    [Type.Literal('paid'), Type.Literal('failed'), Type.Literal('pending'), Type.Literal('refunded')],
    {
      description:
        '`pending` only for the instant between charge and sale; `refunded` once its reservation was cancelled.',
    },
  ),
});
export const Reservation = Type.Object({
  reservationID: Id,
  customerID: Id,
  eventID: Id,
  seatIDs: Type.Array(Id),
  orderID: Id,
  status: Type.Union([Type.Literal('confirmed'), Type.Literal('cancelled')], {
    description: '`cancelled` after a refund (the seats are on sale again).',
  }),
});
export const ReservationList = Type.Object({
  reservations: Type.Array(Type.Intersect([Reservation, Type.Object({ order: Order })])),
});
export const OrderList = Type.Object({ orders: Type.Array(Order) });
export const OrderQuery = Type.Object({ customerID: Type.Optional(Id) });

export const EventParams = Type.Object({ eventID: Type.String({ maxLength: 64 }) });
export const SeatList = Type.Object({
  eventID: Id,
  currency: Type.String(),
  seats: Type.Array(
    Type.Object({
      seatID: Id,
      name: Type.String(),
      status: Type.Union([Type.Literal('available'), Type.Literal('locked'), Type.Literal('confirmed')]),
      price: Type.Integer(),
      lockUntil: Type.Union([Time, Type.Null()]),
      lockedByMe: Type.Boolean(),
    }),
  ),
  holdsUnavailable: Type.Optional(
    Type.Literal(true, {
      description:
        'Present when the hold store (Redis) is unreachable: sales are shown, but holds are not, so a ' +
        'seat shown as available may be held. Absent otherwise.',
    }),
  ),
});

export const SeatStreamMessage = Type.Object(
  {
    eventID: Id,
    seats: Type.Array(
      Type.Object({
        seatID: Id,
        status: Type.Union([Type.Literal('available'), Type.Literal('locked'), Type.Literal('confirmed')]),
        lockUntil: Type.Union([Time, Type.Null()]),
      }),
    ),
  },
  { description: "The `data` of one server-sent event: the event's seats whose status changed." },
);

export const LockRequest = Type.Object({ eventID: Id, seatIDs: SeatIdList });
export const LockResponse = Type.Object({ eventID: Id, seatIDs: Type.Array(Id), lockUntil: Time });
export const CancelRequest = Type.Object({ eventID: Type.Optional(Id), seatIDs: Type.Optional(SeatIdList) });
export const CancelResponse = Type.Object({ released: Type.Array(Id) });
export const ConfirmRequest = Type.Object({
  eventID: Id,
  customerID: Id,
  seatIDs: Type.Optional(SeatIdList),
  payment: Type.Object({ token: Type.String({ minLength: 1, maxLength: 255 }) }),
});
export const ConfirmResponse = Type.Object({ reservation: Reservation, order: Order });
export const PaymentFailed = Type.Object({
  error: Type.Literal('PAYMENT_FAILED'),
  message: Type.String(),
  order: Order,
});
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});

/** The error answers a route documents besides its success. */
export const errors = (...statuses: number[]): Record<number, TSchema> =>
  Object.fromEntries(statuses.map((s) => [s, ErrorBody]));

type Security = { [scheme: string]: string[] }[];
export const SESSION_SECURITY: Security = [{ sessionHeader: [] }, { sessionCookie: [] }];
export const ADMIN_SECURITY: Security = [{ adminToken: [] }];
