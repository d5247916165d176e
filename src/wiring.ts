import type { Config } from './config.js';
import type { AppServices } from './http/app.js';
import { systemClock } from './infra/clock.js';
import { memoryBus } from './infra/bus/memory.bus.js';
import { pgNotifyBus } from './infra/bus/pg-notify.bus.js';
import { redisBus } from './infra/bus/redis.bus.js';
import { bookingRepository } from './infra/db/booking.repository.js';
import { cleanupRepository } from './infra/db/cleanup.repository.js';
import { customerRepository } from './infra/db/customer.repository.js';
import type { Db } from './infra/db/db.js';
import { eventRepository } from './infra/db/event.repository.js';
import { holdRepository } from './infra/db/hold.repository.js';
import { idempotencyRepository } from './infra/db/idempotency.repository.js';
import { migrate } from './infra/db/migrate.js';
import { orderRepository } from './infra/db/order.repository.js';
import { outboxRepository } from './infra/db/outbox.repository.js';
import { seatHistoryRepository } from './infra/db/seat-history.repository.js';
import { webhookRepository } from './infra/db/webhook.repository.js';
import { fetchWebhookSender } from './infra/webhooks/sender.js';
import { createPgliteDb } from './infra/db/pglite.js';
import { openPostgresDb } from './infra/db/postgres.js';
import { seatRepository } from './infra/db/seat.repository.js';
import { sessionDirectory, sessionRepository } from './infra/db/session.repository.js';
import { TestPaymentGateway } from './infra/payments/test-gateway.js';
import { withHoldSweep } from './infra/redis/cleanup.js';
import { closeRedis, connectRedis, parseClusterNodes, type RedisTarget } from './infra/redis/client.js';
import { redisHoldStore } from './infra/redis/hold-store.js';
import { redisQueueStore } from './infra/redis/queue-store.js';
import { queueRepository } from './infra/db/queue.repository.js';
import { redisSessionCache } from './infra/redis/session-cache.js';
import { BestAvailableService } from './services/best-available.service.js';
import { CleanupService, type CleanupDeps } from './services/cleanup.service.js';
import { ConfirmService } from './services/confirm.service.js';
import { EventService } from './services/event.service.js';
import { SeatHistoryService } from './services/history.service.js';
import { IdempotencyService } from './services/idempotency.service.js';
import { LayoutCache } from './services/layout-cache.js';
import { LockService } from './services/lock.service.js';
import {
  noTelemetry,
  type Clock,
  type PaymentGateway,
  type SeatChangeBus,
  type SeatChangeNotice,
  type SeatChanges,
  type Telemetry,
} from './services/ports.js';
import { PublicSeats } from './services/public-seats.js';
import { RefundService } from './services/refund.service.js';
import { openWaitingRooms, type WaitingRoomOverrides } from './services/waiting-rooms.js';
import { SeatMaps } from './services/seat-maps.js';
import { SeatFeed, type SeatFeedOptions } from './services/seat-feed.service.js';
import { seedDemo } from './services/seed.service.js';
import { SessionService } from './services/session.service.js';
import {
  WebhookDelivery,
  type DeliveryDeps,
  type DeliveryOptions,
} from './services/webhook-delivery.service.js';
import { WebhookService } from './services/webhook.service.js';

export interface Overrides {
  clock?: Clock;
  payments?: PaymentGateway;
  onCleanup?: Pick<CleanupDeps, 'onRun' | 'onError'>;
  telemetry?: Telemetry;
  /** Failures of the live seat map (a lost bus connection, a failed re-read): logged, never fatal. */
  onFeedError?: (e: unknown) => void;
  feed?: Partial<SeatFeedOptions>;
  /** The webhook worker's timing (tests: `pollMs: 0` to drive it by hand with runOnce). */
  webhookDelivery?: Partial<DeliveryOptions>;
  /** What the webhook worker reports: give-ups (alerts), attempts (metrics), failures of its own. */
  onWebhook?: Pick<DeliveryDeps, 'onGiveUp' | 'onAttempt' | 'onError'>;
  queue?: WaitingRoomOverrides;
}

export interface Container {
  services: AppServices;
  cleanup: CleanupService;
  webhooks: WebhookDelivery;
  db: Db;
  close(): Promise<void>;
}

export async function openDb(config: Config): Promise<Db> {
  return config.DATABASE_URL
    ? openPostgresDb({ connectionString: config.DATABASE_URL, max: config.DB_POOL_SIZE })
    : createPgliteDb(config.DATA_DIR);
}

/**
 * Migrations are one transaction under a transaction-level lock, so they also work through a pooler in
 * transaction mode; given a direct connection they use it, and a long schema change then holds none of
 * the pooler's connections nor meets its timeouts.
 */
async function migrateSchema(config: Config, db: Db): Promise<void> {
  if (!config.DATABASE_DIRECT_URL) return void (await migrate(db));
  const direct = await openPostgresDb({ connectionString: config.DATABASE_DIRECT_URL, max: 1 });
  try {
    await migrate(direct);
  } finally {
    await direct.close();
  }
}

/**
 * How seat changes reach every instance: Redis pub/sub beside Redis holds, else PostgreSQL
 * LISTEN/NOTIFY, else (the embedded database, one instance) within the process.
 */
async function openSeatChangeBus(
  config: Config,
  db: Db,
  redis: Parameters<typeof redisBus>[0]['redis'] | undefined,
  onError?: (e: unknown) => void,
): Promise<SeatChangeBus> {
  if (redis) return redisBus({ redis, prefix: config.REDIS_KEY_PREFIX, onError });
  // LISTEN needs a connection of its own for good: a transaction-mode pooler would hand it to others.
  const listenUrl = config.DATABASE_DIRECT_URL ?? config.DATABASE_URL;
  if (listenUrl) return pgNotifyBus({ connectionString: listenUrl, db, onError });
  return memoryBus();
}

function redisTarget(config: Config): RedisTarget | undefined {
  if (config.REDIS_CLUSTER_NODES) return { nodes: parseClusterNodes(config.REDIS_CLUSTER_NODES) };
  return config.REDIS_URL ? { url: config.REDIS_URL } : undefined;
}

/** The composition root: config → infrastructure → services. The only place that picks implementations. */
export async function createContainer(config: Config, o: Overrides = {}): Promise<Container> {
  const db = await openDb(config);
  await migrateSchema(config, db);
  const clock = o.clock ?? systemClock;
  const payments = o.payments ?? new TestPaymentGateway();
  // With REDIS_URL, holds live in Redis; the database keeps seats, sales and sessions either way.
  const target = redisTarget(config);
  const redis = target ? await connectRedis(target, config.REDIS_KEY_PREFIX) : undefined;
  // Redis mode: sessions are also kept in Redis, so that a lock asks Redis alone.
  const sessionCache = redis
    ? redisSessionCache({ redis, db: sessionRepository(db), directory: sessionDirectory(db) })
    : undefined;
  const sessions = sessionCache ?? sessionRepository(db);
  const redisHolds =
    redis && sessionCache
      ? redisHoldStore({
          redis,
          seats: seatRepository(db),
          sessions: sessionCache,
          directory: sessionDirectory(db),
          lockTtlMs: config.LOCK_TTL_SECONDS * 1000,
        })
      : undefined;
  const holds = redisHolds ?? holdRepository(db);
  const bus = await openSeatChangeBus(config, db, redis, o.onFeedError);
  const repos = {
    sessions,
    customers: customerRepository(db),
    events: eventRepository(db),
    seats: seatRepository(db),
    orders: orderRepository(db),
    bookings: bookingRepository(db),
    idempotency: idempotencyRepository(db),
  };
  const layouts = new LayoutCache(repos);
  // The outbox's worker: started here, on every instance; they share the work through leases.
  const webhooks = new WebhookDelivery(
    {
      outbox: outboxRepository(db),
      sender: fetchWebhookSender(config.WEBHOOK_TIMEOUT_SECONDS * 1000),
      clock,
      ...o.onWebhook,
    },
    { leaseMs: 2 * config.WEBHOOK_TIMEOUT_SECONDS * 1000 + 5000, ...o.webhookDelivery },
  );
  // Seat maps are cached documents: a change made here drops its event's document at once, before the
  // notice goes out; changes made elsewhere drop it when their notice arrives.
  // Best available's shared reads of an event likewise stop serving when seats there are freed.
  const seatMaps = new SeatMaps({ layouts, seats: repos.seats, holds, clock });
  let best: BestAvailableService | undefined; // made below, once the lock service is
  const noticed = (n: SeatChangeNotice) => {
    seatMaps.invalidate(n.eventId);
    if (n.freed) best?.invalidate(n.eventId);
    else if (n.eventId) best?.taken(n.eventId, n.seatIds);
  };
  bus.subscribe({
    onNotice: noticed,
    onGap: () => {
      seatMaps.invalidate();
      best?.invalidate();
    },
  });
  const changes: SeatChanges = {
    publish: (notice) => {
      noticed(notice);
      bus.publish(notice);
    },
  };
  const events = new EventService({ ...repos, holds, clock, layouts });
  if (config.SEED_DEMO) await seedDemo(events, repos.events);
  const sessionService = new SessionService(
    { sessions: repos.sessions, holds, clock, changes },
    config.SESSION_TTL_SECONDS,
  );

  // The waiting rooms live beside the holds: in Redis when holds are there, else in the database.
  const rooms = await openWaitingRooms(
    {
      store: redis ? redisQueueStore(redis) : queueRepository(db),
      bus,
      layouts,
      sessions: sessionService,
      clock,
      onError: o.onFeedError ?? (() => undefined),
      renewMs: Math.min(config.SESSION_TTL_SECONDS / 4, 600) * 1000,
    },
    o.queue,
  );
  const locks = new LockService(
    { holds, layouts, sessions: sessionService, clock, changes, gate: rooms.gate, seats: repos.seats },
    {
      lockTtlSeconds: config.LOCK_TTL_SECONDS,
      maxSeatsPerSession: config.MAX_SEATS_PER_SESSION,
      maxHoldSeconds: config.MAX_HOLD_SECONDS,
    },
  );

  const services: AppServices = {
    sessions: sessionService,
    queue: rooms.queue,
    locks,
    best: (best = new BestAvailableService(
      { layouts, holds, locks, sessions: sessionService, clock },
      { maxSeatsPerSession: config.MAX_SEATS_PER_SESSION },
    )),
    confirms: new ConfirmService({
      ...repos,
      layouts,
      holds,
      payments,
      clock,
      changes,
      telemetry: o.telemetry ?? noTelemetry,
      webhooks,
    }),
    refunds: new RefundService({
      bookings: repos.bookings,
      payments,
      holds,
      changes,
      clock,
      webhooks,
      onError: o.onFeedError,
    }),
    history: new SeatHistoryService({ history: seatHistoryRepository(db), ...repos }),
    webhooks: new WebhookService({ webhooks: webhookRepository(db), clock }),
    idempotency: new IdempotencyService({ idempotency: repos.idempotency, clock }),
    events,
    seatMaps,
    feed: new SeatFeed(
      {
        bus,
        seats: new PublicSeats({ ...repos, holds, clock, seatMaps, layouts }),
        clock,
        onError: o.onFeedError,
      },
      o.feed,
    ),
    readiness: async () => ({
      database: await db.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      ...(redis && {
        redis: await redis.ping().then(
          () => true,
          () => false,
        ),
      }),
    }),
    dbStats: () => db.stats(),
  };
  const cleanup = new CleanupService({
    cleanup: redisHolds ? withHoldSweep(cleanupRepository(db), redisHolds) : cleanupRepository(db),
    orders: repos.orders,
    payments,
    clock,
    changes,
    ...o.onCleanup,
  });
  services.feed.start();
  webhooks.start();
  return {
    services,
    cleanup,
    webhooks,
    db,
    close: async () => {
      await cleanup.stop();
      await webhooks.stop();
      services.feed.close();
      await rooms.close();
      await bus.close();
      if (redis) await closeRedis(redis);
      await db.close();
    },
  };
}
