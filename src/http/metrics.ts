import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app, so that several apps in one process (tests) keep separate counts. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    cleanupRuns: new Counter({
      name: 'cleanup_runs_total',
      help: 'Cleanup job runs',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    seatsFreed: new Counter({
      name: 'cleanup_seats_freed_total',
      help: 'Seats freed by the cleanup job',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    voidedCharges: new Counter({
      name: 'payments_voided_total',
      help: 'Charges voided: the hold ran out during payment, the gateway failed, or a crash left them',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    lockAttempts: new Counter({
      name: 'seat_lock_attempts_total',
      help: 'Lock requests by result (ok, conflict, rejected)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    confirms: new Counter({
      name: 'seat_confirms_total',
      help: 'Confirm requests by result (paid, declined, rejected)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    eventSeats: new Gauge({
      name: 'event_seats',
      help: 'Seats sold and held, for the 20 most recent events',
      labelNames: ['event', 'state'] as const,
      registers: [registry],
    }),
    streamViewers: new Gauge({
      name: 'seat_stream_viewers',
      help: 'Open live seat map streams',
      registers: [registry],
    }),
    streamDropped: new Counter({
      name: 'seat_stream_dropped_total',
      help: 'Live seat map viewers cut off for falling behind',
      registers: [registry],
    }),
    webhookAttempts: new Counter({
      name: 'webhook_attempts_total',
      help: 'Webhook delivery attempts by result (delivered, retrying, failed: given up after 24 h)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    dbPool: new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

const lockResult = (status: number) => (status === 200 ? 'ok' : status === 409 ? 'conflict' : 'rejected');
const confirmResult = (status: number) =>
  status === 201 ? 'paid' : status === 402 ? 'declined' : 'rejected';

export function instrument(app: FastifyInstance, metrics: Metrics, onServerError?: () => void): void {
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the URL: IDs in paths would make label sets unbounded.
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(status) },
      reply.elapsedTime / 1000,
    );
    if (route === '/api/lock') metrics.lockAttempts.inc({ result: lockResult(status) });
    else if (route === '/api/confirm') metrics.confirms.inc({ result: confirmResult(status) });
    if (status >= 500) onServerError?.();
    done();
  });
}
