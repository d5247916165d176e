import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppServices } from '../app.js';
import { sendError } from '../errors.js';
import type { Metrics } from '../metrics.js';

const Status = Type.Object({ status: Type.String() }, { additionalProperties: true });

export const opsRoutes =
  (s: AppServices, metrics: Metrics): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/healthz',
      { schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Status } } },
      () => ({
        status: 'ok',
      }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: ['operations'],
          summary: 'The database (and Redis, if used) answer',
          response: { 200: Status },
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
      { schema: { tags: ['operations'], summary: 'Prometheus metrics (text format)' } },
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
