import type { Config } from './config.js';
import type { AppServices } from './http/app.js';
import { systemClock } from './infra/clock.js';
import { bookingRepository } from './infra/db/booking.repository.js';
import { cleanupRepository } from './infra/db/cleanup.repository.js';
import { customerRepository } from './infra/db/customer.repository.js';
import type { Db } from './infra/db/db.js';
import { eventRepository } from './infra/db/event.repository.js';
import { holdRepository } from './infra/db/hold.repository.js';
import { idempotencyRepository } from './infra/db/idempotency.repository.js';
import { migrate } from './infra/db/migrate.js';
import { orderRepository } from './infra/db/order.repository.js';
import { createPgliteDb } from './infra/db/pglite.js';
import { createPostgresDb } from './infra/db/postgres.js';
import { seatRepository } from './infra/db/seat.repository.js';
import { sessionRepository } from './infra/db/session.repository.js';
import { TestPaymentGateway } from './infra/payments/test-gateway.js';
import { CleanupService, type CleanupDeps } from './services/cleanup.service.js';
import { ConfirmService } from './services/confirm.service.js';
import { EventService } from './services/event.service.js';
import { IdempotencyService } from './services/idempotency.service.js';
import { LockService } from './services/lock.service.js';
import type { Clock, PaymentGateway } from './services/ports.js';
import { seedDemo } from './services/seed.service.js';
import { SessionService } from './services/session.service.js';

export interface Overrides {
  clock?: Clock;
  payments?: PaymentGateway;
  onCleanup?: Pick<CleanupDeps, 'onRun' | 'onError'>;
}

export interface Container {
  services: AppServices;
  cleanup: CleanupService;
  db: Db;
  close(): Promise<void>;
}

export async function openDb(config: Config): Promise<Db> {
  return config.DATABASE_URL
    ? createPostgresDb({ connectionString: config.DATABASE_URL, max: config.DB_POOL_SIZE })
    : createPgliteDb(config.DATA_DIR);
}

/** The composition root: config → infrastructure → services. The only place that picks implementations. */
export async function createContainer(config: Config, o: Overrides = {}): Promise<Container> {
  const db = await openDb(config);
  await migrate(db);
  const clock = o.clock ?? systemClock;
  const payments = o.payments ?? new TestPaymentGateway();
  const holds = holdRepository(db);
  const repos = {
    sessions: sessionRepository(db),
    customers: customerRepository(db),
    events: eventRepository(db),
    seats: seatRepository(db),
    orders: orderRepository(db),
    bookings: bookingRepository(db),
    idempotency: idempotencyRepository(db),
  };
  const events = new EventService({ ...repos, holds, clock });
  if (config.SEED_DEMO) await seedDemo(events, repos.events);

  const services: AppServices = {
    sessions: new SessionService({ sessions: repos.sessions, holds, clock }, config.SESSION_TTL_SECONDS),
    locks: new LockService(
      { holds, events: repos.events, seats: repos.seats, clock },
      { lockTtlSeconds: config.LOCK_TTL_SECONDS, maxSeatsPerSession: config.MAX_SEATS_PER_SESSION },
    ),
    confirms: new ConfirmService({ ...repos, holds, payments, clock }),
    idempotency: new IdempotencyService({ idempotency: repos.idempotency, clock }),
    events,
    readiness: async () => ({
      database: await db.query('SELECT 1').then(
        () => true,
        () => false,
      ),
    }),
    dbStats: () => db.stats(),
  };
  const cleanup = new CleanupService({
    cleanup: cleanupRepository(db),
    orders: repos.orders,
    payments,
    clock,
    ...o.onCleanup,
  });
  return {
    services,
    cleanup,
    db,
    close: async () => {
      await cleanup.stop();
      await db.close();
    },
  };
}
