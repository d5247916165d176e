import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppServices } from '../app.js';
import type { Metrics } from '../metrics.js';
import { errors, EventParams, PUBLIC, SeatStreamMessage } from '../schemas.js';
import { SseConnection, type SseOptions } from '../sse.js';

const DESCRIPTION = `Server-sent events (\`text/event-stream\`) with the event's seat changes, live.

Each message's \`data\` is JSON \`{"eventID", "seats": [{"seatID", "status", "lockUntil"}]}\` with the seats whose
public status changed (a lock, a release, a sale, a hold that ran out); no session is ever shown. The first
message is a snapshot of every seat. Message \`id\`s rise monotonically: epoch milliseconds × 1000 plus a
counter. A client that reconnects with \`Last-Event-ID\` (browsers send it on their own) gets the messages it
missed, or a new snapshot when they are no longer kept. A \`: keep-alive\` comment comes every 15 s. A viewer
too slow to keep up is disconnected and catches up on reconnect; on shutdown the stream ends with a \`retry:\`.`;

export const streamRoutes =
  (s: AppServices, opts: SseOptions, metrics: Metrics): FastifyPluginAsyncTypebox =>
  async (app) => {
    const open = new Set<SseConnection>();

    // Before the server stops: streams never end on their own, so close would wait for them forever.
    app.addHook('preClose', async () => {
      for (const connection of open) connection.end();
    });

    app.get(
      '/api/events/:eventID/stream',
      {
        schema: {
          tags: ['seats'],
          operationId: 'streamSeatChanges',
          summary: 'Live seat changes of an event (server-sent events)',
          security: PUBLIC,
          description: DESCRIPTION,
          params: EventParams,
          headers: Type.Object({
            'last-event-id': Type.Optional(
              Type.String({ maxLength: 64, description: 'The last message ID seen, to resume.' }),
            ),
          }),
          response: {
            200: {
              description: 'An endless stream of messages.',
              content: { 'text/event-stream': { schema: SeatStreamMessage } },
            },
            ...errors(404, 503),
          },
        },
      },
      async (request, reply) => {
        const connection: SseConnection = new SseConnection(reply.raw, opts, (dropped) => {
          unsubscribe();
          open.delete(connection);
          metrics.streamViewers.dec();
          if (dropped) metrics.streamDropped.inc();
        });
        // Unknown events are a 404 as JSON, before anything of the stream is sent. Messages that
        // come before start() wait inside the connection.
        const unsubscribe = await s.feed.open(request.params.eventID, request.headers['last-event-id'], (m) =>
          connection.send(m),
        );
        reply.hijack();
        open.add(connection);
        metrics.streamViewers.inc();
        // The headers set so far (request ID, security headers): a hijacked reply does not send them.
        connection.start(reply.getHeaders());
      },
    );
  };
