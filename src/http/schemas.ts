import { Type, type TSchema } from 'typebox';
import { errorMessages } from '../domain/errors.js';

/** One source for validation, types and the OpenAPI document. */
export const Id = Type.String({ minLength: 1, maxLength: 64, description: 'An opaque ID (a UUID).' });
export const Time = Type.String({ format: 'date-time' });
export const MAX_SEAT_LIST = 100;

export const SeatIdList = Type.Array(Id, { minItems: 1, maxItems: MAX_SEAT_LIST, uniqueItems: true });

export const PlaceCount = Type.Object({
  areaID: Id,
  quantity: Type.Integer({ minimum: 1, maximum: MAX_SEAT_LIST }),
});
const Places = Type.Array(PlaceCount, {
  description: 'Standing places by area: how many of each, not which.',
});
export const ErrorBody = Type.Object(
  {
    error: Type.Enum(Object.keys(errorMessages), {
      type: 'string',
      description: 'A stable code: see the table in the description of the API.',
    }),
    message: Type.String(),
  },
  {
    $id: 'Error',
    additionalProperties: true,
    description: 'Every error: a stable code, a human message, and details.',
  },
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

const Never = Type.Optional(Type.Never({ description: 'Not with this form: one form per request.' }));
const CategoryKey = Type.String({ minLength: 1, maxLength: 32, description: 'A key from `categories`.' });
const SectionName = Type.String({ minLength: 1, maxLength: 64 });
const Capacity = Type.Integer({ minimum: 1, maximum: 1_000_000 });

const VenueSeat = Type.Object({
  number: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  accessible: Type.Optional(Type.Boolean({ description: 'A wheelchair-accessible seat (default false).' })),
  rank: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 1_000_000_000,
      description:
        'Lower is better: best available then ranks a block by its worst seat, then by its sum of ranks, ' +
        'instead of front row first. Give every seat of the venue a rank, or none.',
    }),
  ),
});

const VenueRow = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 16 }),
  category: CategoryKey,
  seats: Type.Union(
    [
      Type.Integer({ minimum: 1, maximum: 100_000, description: 'Seats numbered 1 … N.' }),
      Type.Array(VenueSeat, { minItems: 1, maxItems: 100_000, description: 'Seats in row order.' }),
    ],
    { description: 'N seats numbered 1 … N, or the seats one by one, in order along the row.' },
  ),
});

export const VenueCreate = Type.Object(
  {
    name: EventName,
    currency: Currency,
    categories: Type.Array(
      Type.Object({ key: CategoryKey, label: Type.String({ minLength: 1, maxLength: 100 }), price: Money }),
      { minItems: 1, maxItems: 100, description: 'Price categories; the legend shows them in this order.' },
    ),
    sections: Type.Optional(
      Type.Array(
        Type.Object({
          name: SectionName,
          rows: Type.Array(VenueRow, { minItems: 1, maxItems: 1000, description: 'Front row first.' }),
        }),
        {
          maxItems: 1000,
          description:
            'Best section first: best available reads sections in this order, then rows front to back. ' +
            'Seats are named `<section> <row>-<number>`, e.g. `Stalls C-12`.',
        },
      ),
    ),
    areas: Type.Optional(
      Type.Array(Type.Object({ name: SectionName, category: CategoryKey, capacity: Capacity }), {
        maxItems: 1000,
        description: 'Standing (general admission) areas, sold by count.',
      }),
    ),
    layout: Never,
    seats: Never,
  },
  {
    description: 'A venue: sections of rows of seats with price categories, and standing areas.',
    examples: [
      {
        name: 'Hamlet',
        currency: 'EUR',
        categories: [
          { key: 'A', label: 'Premium', price: 6500 },
          { key: 'B', label: 'Standard', price: 3500 },
        ],
        sections: [
          {
            name: 'Stalls',
            rows: [
              {
                name: 'A',
                category: 'A',
                seats: [{ number: 1, accessible: true }, { number: 2 }, { number: 3 }],
              },
              { name: 'B', category: 'A', seats: 12 },
            ],
          },
          { name: 'Balcony', rows: [{ name: 'A', category: 'B', seats: 14 }] },
        ],
        areas: [{ name: 'Standing', category: 'B', capacity: 100 }],
      },
    ],
  },
);

export const EventCreate = Type.Union([
  Type.Object(
    {
      name: EventName,
      currency: Currency,
      layout: Type.Object({
        rows: Type.Integer({ minimum: 1, maximum: 1000 }),
        seatsPerRow: Type.Integer({ minimum: 1, maximum: 1000 }),
        price: Money,
      }),
      seats: Never,
      categories: Never,
    },
    {
      description: 'A grid of rows named A, B, … with seats numbered 1 … seatsPerRow, all at one price.',
      examples: [{ name: 'Concert', currency: 'EUR', layout: { rows: 10, seatsPerRow: 20, price: 2500 } }],
    },
  ),
  Type.Object(
    {
      name: EventName,
      currency: Currency,
      seats: Type.Array(Type.Object({ name: Type.String({ minLength: 1, maxLength: 32 }), price: Money }), {
        minItems: 1,
        maxItems: 100_000,
      }),
      layout: Never,
      categories: Never,
    },
    {
      description: 'A plain list of seats, each with its own name and price (no rows).',
      examples: [{ name: 'Club', currency: 'GBP', seats: [{ name: 'Table 1', price: 5000 }] }],
    },
  ),
  VenueCreate,
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
      waitingRoom: Type.Optional(
        Type.Object(
          { opensAt: Time },
          {
            description: 'Present when the event has a waiting room: locks need an admission from its queue.',
          },
        ),
      ),
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
  places: Type.Optional(Places),
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
const SeatStatus = Type.Union([Type.Literal('available'), Type.Literal('locked'), Type.Literal('confirmed')]);

export const AreaView = Type.Object({
  areaID: Id,
  name: Type.String(),
  category: Type.String(),
  price: Type.Integer(),
  capacity: Type.Integer(),
  available: Type.Integer({ description: 'Places that can be held now.' }),
});

export const SeatList = Type.Object({
  eventID: Id,
  currency: Type.String(),
  seats: Type.Array(
    Type.Object({
      seatID: Id,
      name: Type.String(),
      status: SeatStatus,
      price: Type.Integer(),
      lockUntil: Type.Union([Time, Type.Null()]),
      lockedByMe: Type.Boolean(),
      section: Type.Optional(Type.String({ description: 'This and the next four: seats of a venue only.' })),
      row: Type.Optional(Type.String()),
      number: Type.Optional(Type.Integer()),
      category: Type.Optional(Type.String({ description: 'The key of one of `categories`.' })),
      accessible: Type.Optional(Type.Boolean()),
    }),
  ),
  categories: Type.Optional(
    Type.Array(Type.Object({ key: Type.String(), label: Type.String(), price: Type.Integer() }), {
      description: "A venue's price categories, in the venue's order (for a legend).",
    }),
  ),
  areas: Type.Optional(Type.Array(AreaView, { description: "A venue's standing areas." })),
  holdsUnavailable: Type.Optional(
    Type.Literal(true, {
      description:
        'Present when the hold store (Redis) is unreachable, and for at most a second after it is back: ' +
        'sales are shown, but holds are not, so a seat shown as available may be held. Absent otherwise.',
    }),
  ),
});

export const SeatStreamMessage = Type.Object(
  {
    eventID: Id,
    seats: Type.Array(
      Type.Object({
        seatID: Id,
        status: SeatStatus,
        lockUntil: Type.Union([Time, Type.Null()]),
      }),
    ),
    areas: Type.Optional(
      Type.Array(Type.Object({ areaID: Id, available: Type.Integer() }), {
        description: 'Standing areas whose count of free places changed (every area in the snapshot).',
      }),
    ),
  },
  { description: "The `data` of one server-sent event: the event's seats whose status changed." },
);

export const LockRequest = Type.Object(
  {
    eventID: Id,
    seatIDs: Type.Optional(
      Type.Array(Id, {
        maxItems: MAX_SEAT_LIST,
        uniqueItems: true,
        description: 'Seats to hold. At least one seat or one place in all.',
      }),
    ),
    places: Type.Optional(
      Type.Array(PlaceCount, {
        maxItems: MAX_SEAT_LIST,
        description: 'Standing places to hold, by area (each area once), all or nothing with the seats.',
      }),
    ),
  },
  {
    examples: [
      { eventID: '00000000-0000-4000-8000-00000000d3e0', seatIDs: ['00000000-0000-4000-8000-000000000001'] },
    ],
  },
);
export const LockResponse = Type.Object({
  eventID: Id,
  seatIDs: Type.Array(Id, { description: 'Every seat this session now holds in the event.' }),
  places: Type.Optional(
    Type.Array(PlaceCount, {
      description: 'Every standing place this session holds in the event, by area (events with areas).',
    }),
  ),
  lockUntil: Time,
});
export const BestRequest = Type.Object(
  {
    eventID: Id,
    quantity: Type.Integer({
      minimum: 1,
      maximum: MAX_SEAT_LIST,
      description: 'How many seats side by side; at most MAX_SEATS_PER_SESSION.',
    }),
    category: Type.Optional(CategoryKey),
    section: Type.Optional(SectionName),
    accessible: Type.Optional(
      Type.Boolean({
        description: 'true: accessible seats only; false: only seats that are not; absent: any.',
      }),
    ),
  },
  { examples: [{ eventID: '00000000-0000-4000-8000-00000000d3e0', quantity: 2, category: 'A' }] },
);
export const BestResponse = Type.Object(
  {
    eventID: Id,
    seatIDs: Type.Array(Id, { description: 'Every seat this session now holds in the event.' }),
    places: Type.Optional(Places),
    lockUntil: Time,
    chosen: Type.Array(Id, { description: 'The seats picked for this request, in row order.' }),
  },
  { description: 'As a lock, plus the seats chosen.' },
);
export const CancelRequest = Type.Object({ eventID: Type.Optional(Id), seatIDs: Type.Optional(SeatIdList) });
export const CancelResponse = Type.Object({
  released: Type.Array(Id),
  releasedPlaces: Type.Optional(Places),
});
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

/** The error answers a route documents besides its success: the shared schema `Error` (see buildApp). */
export const errors = (...statuses: number[]): Record<number, TSchema> =>
  Object.fromEntries(statuses.map((s) => [s, Type.Ref('Error')]));

type Security = { [scheme: string]: string[] }[];
export const SESSION_SECURITY: Security = [{ sessionHeader: [] }, { sessionCookie: [] }];
export const ADMIN_SECURITY: Security = [{ adminToken: [] }];
/** No credentials needed. */
export const PUBLIC: Security = [];
/** Works without credentials; a session, when sent, changes the answer. */
export const OPTIONAL_SESSION: Security = [{}, ...SESSION_SECURITY];
