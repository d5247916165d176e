import { Type } from 'typebox';
import { QUEUE_LIMITS } from '../domain/queue.js';

/** The waiting room's request and response shapes (contract v2, "On-sale waiting room"). */

const Time = Type.String({ format: 'date-time' });

const EXAMPLE_SETTINGS = {
  opensAt: '2030-05-01T18:00:00.000Z',
  admitPerMinute: 300,
  admissionSeconds: 600,
};

export const QueueSettingsBody = Type.Object(
  {
    opensAt: Type.String({
      format: 'date-time',
      description:
        'When the queue opens (ISO-8601). Sessions that join before it get a uniformly random place at ' +
        'this time; it can no longer change once it has passed.',
    }),
    admitPerMinute: Type.Integer({
      ...QUEUE_LIMITS.admitPerMinute,
      description: 'Sessions admitted per minute, in total across all instances, spread evenly.',
    }),
    admissionSeconds: Type.Integer({
      ...QUEUE_LIMITS.admissionSeconds,
      description: 'How long an admission lasts: the time to lock seats.',
    }),
  },
  { additionalProperties: false, examples: [EXAMPLE_SETTINGS] },
);

export const QueueSettingsResponse = Type.Object(
  {
    eventID: Type.String(),
    opensAt: Time,
    admitPerMinute: Type.Integer(),
    admissionSeconds: Type.Integer(),
  },
  { examples: [{ eventID: '5b0c7a52-4d1e-4c4b-9a56-1f4f2c0b9e11', ...EXAMPLE_SETTINGS }] },
);

export const QueueStatus = Type.Object(
  {
    state: Type.Union([Type.Literal('waiting'), Type.Literal('admitted')]),
    position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description:
        'Places ahead, this one included (1 = next). Null before the opening (the order is not drawn ' +
        'yet) and once admitted.',
    }),
    opensAt: Time,
    admittedUntil: Type.Union([Time, Type.Null()], {
      description: 'When the admission ends (locks need it until then); in the past once it has ended.',
    }),
    estimatedWaitSeconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'position ÷ the admission rate measured over the last minute (else the set rate).',
    }),
  },
  {
    examples: [
      {
        state: 'waiting',
        position: 1312,
        opensAt: '2030-05-01T18:00:00.000Z',
        admittedUntil: null,
        estimatedWaitSeconds: 263,
      },
      {
        state: 'admitted',
        position: null,
        opensAt: '2030-05-01T18:00:00.000Z',
        admittedUntil: '2030-05-01T18:14:21.000Z',
        estimatedWaitSeconds: null,
      },
    ],
  },
);

export const QueueStreamMessage = Type.Union(
  [
    Type.Intersect([
      Type.Object({ type: Type.Literal('status') }),
      QueueStatus,
      Type.Object({
        rank: Type.Union([Type.Integer(), Type.Null()], {
          description: "This session's number in the queue's order (null until the order is drawn).",
        }),
      }),
    ]),
    Type.Object({
      type: Type.Literal('progress'),
      opened: Type.Boolean(),
      admitted: Type.Integer({ description: 'How many of the first places are admitted.' }),
      waiting: Type.Integer(),
      admitPerMinute: Type.Number({ description: 'As measured over the last minute, else as set.' }),
    }),
    Type.Object({ type: Type.Literal('closed') }),
  ],
  { description: 'The `data` of one server-sent event of a queue stream.' },
);
