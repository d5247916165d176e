/**
 * What the two floor routes (bench/floor-pg.ts, bench/floor-redis.ts) share: their configuration, and
 * the four routes the lock-only load generator uses, in front of a store that does the work. The
 * store's lock is one round trip (one SQL statement, or one Lua script); the routes around it only
 * check the input, the way the service does, and answer in the service's shapes.
 */
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';

export interface FloorConfig {
  port: number;
  /** Events and seats per event, shaped like the service's lock-only data. */
  events: number;
  seatsPerEvent: number;
  lockTtlSeconds: number;
  sessionTtlSeconds: number;
  /** Database connections (the service's DB_POOL_SIZE). */
  poolSize: number;
  /**
   * FLOOR_RULES=1: the lock also does what the contract asks of every lock beyond the hold itself: it
   * finds the seats the session already holds in the event, refuses to let it hold more than
   * `maxSeats`, gives them all one deadline (capped at the hold's beginning + `maxHoldSeconds`) and
   * answers with all of them.
   */
  rules: boolean;
  maxSeats: number;
  maxHoldSeconds: number;
}

const int = (name: string, def: number) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isInteger(v) || v < 0)
    throw new Error(`${name} must be a whole number, not ${process.env[name]}`);
  return v;
};

export function floorConfig(): FloorConfig {
  return {
    port: int('PORT', 0),
    events: int('FLOOR_EVENTS', 100),
    seatsPerEvent: int('FLOOR_SEATS_PER_EVENT', 1000),
    lockTtlSeconds: int('LOCK_TTL_SECONDS', 600),
    sessionTtlSeconds: int('SESSION_TTL_SECONDS', 1800),
    poolSize: int('DB_POOL_SIZE', 20),
    rules: process.env.FLOOR_RULES === '1',
    maxSeats: int('MAX_SEATS_PER_SESSION', 10),
    maxHoldSeconds: int('MAX_HOLD_SECONDS', 1800),
  };
}

export function requiredEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

export type SeatStatus = 'available' | 'locked' | 'confirmed';

/** `held`: every seat the session now holds in the event (with FLOOR_RULES; else the seats asked for). */
export type LockOutcome =
  | { outcome: 'ok'; lockUntil: Date; held?: string[] }
  | { outcome: 'no-session' | 'unavailable' | 'too-many' };

export interface FloorStore {
  readonly events: readonly string[];
  createSession(token: string): Promise<void>;
  /** The event's seats in a fixed order, or null for an unknown event. */
  seats(eventId: string): Promise<{ seatID: string; status: SeatStatus }[] | null>;
  /** Session check and all-or-nothing hold, in one round trip. */
  lock(token: string, eventId: string, seatIds: string[]): Promise<LockOutcome>;
  close(): Promise<void>;
}

/** How a seat reads on the map: sold, held in time, or available. */
export const seatStatus = (sold: boolean, lockUntilMs: number | null, nowMs: number): SeatStatus =>
  sold ? 'confirmed' : lockUntilMs !== null && lockUntilMs > nowMs ? 'locked' : 'available';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const LockBody = {
  type: 'object',
  required: ['eventID', 'seatIDs'],
  additionalProperties: false,
  properties: {
    eventID: { type: 'string', format: 'uuid' },
    // At most the service's MAX_SEATS_PER_SESSION; distinct, so that "all of them" is well defined.
    seatIDs: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      uniqueItems: true,
      items: { type: 'string', format: 'uuid' },
    },
  },
} as const;

/**
 * Serves the floor's routes on loopback: prints `listening <port>` once ready, and on SIGTERM stops
 * taking requests, lets the store clean up (scratch keys) and exits.
 */
export async function serveFloor(store: FloorStore, port: number): Promise<void> {
  const app = Fastify({ logger: false });

  app.post('/api/sessions', async (_request, reply) => {
    const token = randomUUID();
    await store.createSession(token);
    return reply.code(201).send({ sessionID: token });
  });

  app.get('/api/events', async () => ({ events: store.events.map((eventID) => ({ eventID })) }));

  app.get<{ Params: { eventID: string } }>('/api/seats/:eventID', async (request, reply) => {
    const seats = UUID.test(request.params.eventID) ? await store.seats(request.params.eventID) : null;
    if (!seats) return reply.code(404).send({ error: 'EVENT_NOT_FOUND' });
    return { eventID: request.params.eventID, seats };
  });

  app.post<{ Body: { eventID: string; seatIDs: string[] } }>(
    '/api/lock',
    { schema: { body: LockBody } },
    async (request, reply) => {
      const token = request.headers['x-session-id'];
      if (typeof token !== 'string' || !UUID.test(token))
        return reply.code(401).send({ error: 'SESSION_REQUIRED' });
      const { eventID, seatIDs } = request.body;
      const r = await store.lock(token, eventID, seatIDs);
      if (r.outcome === 'ok')
        return { eventID, seatIDs: r.held ?? seatIDs, lockUntil: r.lockUntil.toISOString() };
      if (r.outcome === 'no-session') return reply.code(401).send({ error: 'SESSION_REQUIRED' });
      if (r.outcome === 'too-many') return reply.code(422).send({ error: 'TOO_MANY_SEATS' });
      return reply.code(409).send({ error: 'SEATS_UNAVAILABLE' });
    },
  );

  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
  process.once('SIGTERM', () => {
    void app
      .close()
      .then(() => store.close())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
          process.exit(1);
        },
      );
  });
}
