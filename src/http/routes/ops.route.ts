import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppServices } from '../app.js';
import { sendError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { errors, PUBLIC } from '../schemas.js';

const Status = Type.Object({ status: Type.String() }, { additionalProperties: true });

export const opsRoutes =
  (s: AppServices, metrics: Metrics): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['operations'],
          operationId: 'getHealth',
          summary: 'The process is up',
          description: 'Liveness: 200 while the process runs, whatever its dependencies do.',
          security: PUBLIC,
          response: { 200: Status },
        },
      },
      () => ({
        status: 'ok',
      }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: ['operations'],
          operationId: 'getReadiness',
          summary: 'The database (and Redis, if used) answer',
          description:
            'Readiness: 200 with `checks` when every dependency answers, else 503 naming the ones that do ' +
            'not. Take the instance out of the load balancer while it answers 503.',
          security: PUBLIC,
          response: { 200: Status, ...errors(503) },
        },
      },
      async (_request, reply) => {
        const checks = await s.readiness();
        const failed = Object.entries(checks)
          .filter(([, ok]) => !ok)
          .map(([name]) => name);
        if (failed.length > 0)
          return sendError(reply, 'SERVICE_UNAVAILABLE', `Not ready: ${failed.join(', ')} unreachable.`, {
            checks,
          });
        return { status: 'ok', checks };
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          operationId: 'getMetrics',
          summary: 'Prometheus metrics (text format)',
          description: 'Request, booking, pool, stream and seat metrics in the Prometheus text format.',
          security: PUBLIC,
          response: {
            200: {
              description: 'Prometheus text exposition format.',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
      async (_request, reply) => {
        const pool = s.dbStats();
        metrics.dbPool.set({ state: 'total' }, pool.total);
        metrics.dbPool.set({ state: 'idle' }, pool.idle);
        metrics.dbPool.set({ state: 'waiting' }, pool.waiting);
        // Rebuilt on every scrape, so events that dropped out of the window leave no stale series.
        const stats = await s.events.seatStats().catch(() => []);
        metrics.eventSeats.reset();
        for (const e of stats) {
          metrics.eventSeats.set({ event: e.eventID, state: 'sold' }, e.sold);
          metrics.eventSeats.set({ event: e.eventID, state: 'held' }, e.held);
        }
        return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
      },
    );
  };
