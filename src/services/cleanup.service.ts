import type { CleanupRepository, Clock, OrderRepository, PaymentGateway, SeatChanges } from './ports.js';

const BATCH = 1000;
const MAX_BATCHES = 50;
// Longer than any confirm can take (statement timeouts are seconds), so a live confirm is never voided.
const STALE_ORDER_MS = 5 * 60_000;
const PURGE_AFTER_MS = 24 * 3600_000;

export interface CleanupReport {
  expired: number;
  deadSessions: number;
  voidedOrders: number;
}

export interface CleanupDeps {
  cleanup: CleanupRepository;
  orders: OrderRepository;
  payments: PaymentGateway;
  clock: Clock;
  changes: SeatChanges;
  onError?: (e: unknown) => void;
  onRun?: (report: CleanupReport) => void;
}

/**
 * Frees seats of expired holds and of expired or ended sessions, and voids charges a crash left
 * without a reservation. Correctness never depends on it: every read and write checks expiry itself.
 * Every step is an idempotent conditional update, so several instances may run it at once.
 */
export class CleanupService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly deps: CleanupDeps) {}

  async runOnce(): Promise<CleanupReport> {
    const { cleanup, orders, payments, clock } = this.deps;
    const now = clock.now();
    // Expired holds already read as free (and the live map turned them green when they ran out);
    // telling again is cheap and covers a viewer whose instance missed it.
    const expired = await drain((n) => cleanup.releaseExpired(now, n), this.deps.changes);
    const deadSessions = await drain((n) => cleanup.releaseDeadSessions(now, n), this.deps.changes);
    const stale = await orders.stalePending(new Date(now.getTime() - STALE_ORDER_MS), BATCH);
    for (const id of stale) {
      await payments.void(id);
      await orders.markFailed(id, { reason: 'abandoned', voided: true, now });
    }
    await cleanup.purge(new Date(now.getTime() - PURGE_AFTER_MS));
    const report = { expired, deadSessions, voidedOrders: stale.length };
    this.deps.onRun?.(report);
    return report;
  }

  start(intervalSeconds: number): void {
    this.timer = setInterval(() => {
      if (this.running) return; // a slow run is never overlapped by the next one
      this.running = this.runOnce()
        .catch((e: unknown) => this.deps.onError?.(e))
        .finally(() => (this.running = undefined));
    }, intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}

/** Bounded batches: one huge UPDATE would hold thousands of row locks at once. */
async function drain(batch: (limit: number) => Promise<string[]>, changes: SeatChanges): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const freed = await batch(BATCH);
    total += freed.length;
    if (freed.length > 0) changes.publish({ seatIds: freed, freed: true });
    if (freed.length < BATCH) break;
  }
  return total;
}
