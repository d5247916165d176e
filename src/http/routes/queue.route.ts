import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { QueueViewer } from '../../services/queue-room.js';
import { requireAdmin, requireSession } from '../auth.js';
import type { AppServices } from '../app.js';
import {
  QueueSettingsBody,
  QueueSettingsResponse,
  QueueStatus,
  QueueStreamMessage,
} from '../queue.schemas.js';
import { ADMIN_SECURITY, errors, EventParams, SESSION_SECURITY } from '../schemas.js';
import { SseConnection, type SseOptions } from '../sse.js';

const STATUS_NOTE =
  '`404` when the event has no waiting room (`"waitingRoom": false`) or, for GET, when this session has ' +
  'not joined it (`"waitingRoom": true`, with `opensAt`).';

const STREAM_DESCRIPTION = `Server-sent events (\`text/event-stream\`) with this session's place, live. Each
message's \`data\` is JSON with a \`type\`:

- \`status\`: the session's own state (the shape of GET, plus its \`rank\` in the queue's order). Sent on
  connecting, when the order is drawn at \`opensAt\`, and on admission.
- \`progress\`: one message for every waiting client, when the queue moves: \`admitted\` (how many of the
  first places are admitted) and the measured \`admitPerMinute\`. A client's position is its \`rank\` minus
  \`admitted\`; its wait, position × 60 ÷ \`admitPerMinute\` seconds.
- \`closed\`: the waiting room was removed; the event is open to all.

A waiting client costs nothing per message: one timer per event and instance reads the queue and sends
the same \`progress\` to all. The stream is ended every few minutes with a \`retry:\`; the browser comes
back by itself, which keeps the session alive however long the wait.`;

// A renewed stream's client comes back after 1 to 3 s: a crowd renewed together returns spread out.
const renewRetryMs = () => 1000 + Math.floor(Math.random() * 2000);

export const queueRoutes =
  (s: AppServices, adminToken: string, sse: SseOptions): FastifyPluginAsyncTypebox =>
  async (app) => {
    const admin = requireAdmin(adminToken);
    const session = requireSession(s.sessions);
    const url = '/api/events/:eventID/queue';
    const open = new Set<SseConnection>();

    app.addHook('preClose', async () => {
      for (const connection of open) connection.end();
    });

    app.put(
      url,
      {
        onRequest: admin,
        schema: {
          tags: ['waiting room'],
          operationId: 'putQueue',
          summary: 'Put an event behind a waiting room, or change it (admin)',
          description:
            'Validation errors name the field. `opensAt` may change only until the queue opens (`400` after).',
          security: ADMIN_SECURITY,
          params: EventParams,
          body: QueueSettingsBody,
          response: { 200: QueueSettingsResponse, ...errors(400, 401, 404, 503) },
        },
      },
      (request) => s.queue.configure(request.params.eventID, request.body),
    );

    app.delete(
      url,
      {
        onRequest: admin,
        schema: {
          tags: ['waiting room'],
          operationId: 'removeQueue',
          summary: 'Remove the waiting room: the event is open to all again (admin)',
          description: 'Also `204` when the event had none.',
          security: ADMIN_SECURITY,
          params: EventParams,
          response: { 204: { type: 'null', description: 'Removed.' }, ...errors(401, 404, 503) },
        },
      },
      async (request, reply) => {
        await s.queue.remove(request.params.eventID);
        return reply.code(204).send(null);
      },
    );

    app.post(
      url,
      {
        preHandler: session,
        schema: {
          tags: ['waiting room'],
          operationId: 'joinQueue',
          summary: 'Join the waiting room (again: the same place)',
          description:
            'Always `201`, also for a session that had joined: the request is idempotent and answers the ' +
            'same place, so that a client retrying or reloading need not tell the two apart. A session has ' +
            `one place per event, for good: once its admission has ended it does not queue again. ${STATUS_NOTE}`,
          security: SESSION_SECURITY,
          params: EventParams,
          response: { 201: QueueStatus, ...errors(401, 404, 429, 503) },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await s.queue.join(request.session!, request.params.eventID)),
    );

    app.get(
      url,
      {
        preHandler: session,
        schema: {
          tags: ['waiting room'],
          operationId: 'getQueuePlace',
          summary: "This session's place in the waiting room",
          description: STATUS_NOTE,
          security: SESSION_SECURITY,
          params: EventParams,
          response: { 200: QueueStatus, ...errors(401, 404, 429, 503) },
        },
      },
      (request) => s.queue.status(request.session!, request.params.eventID),
    );

    app.get(
      `${url}/stream`,
      {
        preHandler: session,
        schema: {
          tags: ['waiting room'],
          operationId: 'streamQueuePlace',
          summary: "This session's place, live (server-sent events)",
          description: STREAM_DESCRIPTION,
          security: SESSION_SECURITY,
          params: EventParams,
          response: {
            200: {
              description: 'An endless stream of messages.',
              content: { 'text/event-stream': { schema: QueueStreamMessage } },
            },
            ...errors(401, 404, 429, 503),
          },
        },
      },
      async (request, reply) => {
        const connection: SseConnection = new SseConnection(reply.raw, sse, () => {
          detach();
          open.delete(connection);
        });
        const viewer: QueueViewer = {
          tokenHash: request.session!.tokenHash,
          send: (m) => connection.send(m),
          renew: () => connection.end(renewRetryMs()),
        };
        // Not joined, or no queue: a 404 as JSON before anything of the stream is sent.
        const detach = await s.queue.watch(request.session!, request.params.eventID, viewer);
        reply.hijack();
        open.add(connection);
        // The headers set so far (request ID, security headers): a hijacked reply does not send them.
        connection.start(reply.getHeaders());
      },
    );
  };
