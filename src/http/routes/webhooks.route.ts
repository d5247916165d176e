import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../domain/errors.js';
import { requireAdmin } from '../auth.js';
import type { AppServices } from '../app.js';
import {
  DeliveryLog,
  DeliveryQuery,
  WebhookCreate,
  WebhookCreated,
  WebhookList,
  WebhookParams,
} from '../after-sale.schemas.js';
import { ADMIN_SECURITY, errors } from '../schemas.js';

const DELIVERY = `Every delivery is a \`POST\` of JSON \`{"type", "timestamp", "data"}\` signed per
[Standard Webhooks](https://www.standardwebhooks.com/): headers \`webhook-id\` (the same on every retry of a
message: deduplicate by it), \`webhook-timestamp\` (seconds) and \`webhook-signature\` (\`v1,<base64 HMAC-SHA256
of "id.timestamp.body" with the secret>\`). Verify with any Standard Webhooks library. Any 2xx answer within the
timeout (\`WEBHOOK_TIMEOUT_SECONDS\`) is success; anything else is retried with exponential backoff and jitter
for 24 h, then given up (an alert is sent). At least once, in no particular order. Messages are written in the
same transaction as the change they tell of, so none is lost, even if the service dies right after it.

\`data\` by type: \`reservation.confirmed\` and \`reservation.cancelled\`: \`{"reservation", "order"}\` as the
API answers them; \`order.failed\` and \`payment.voided\`: \`{"order", "reason"}\` (\`declined\`, \`hold_lost\`,
\`gateway_error\`, \`abandoned\`); \`event.sold_out\`: \`{"eventID", "name", "seatCount"}\`.`;

/** Webhook registrations and their delivery logs (admin). */
export const webhookRoutes =
  (s: AppServices, adminToken: string): FastifyPluginAsyncTypebox =>
  async (app) => {
    const admin = requireAdmin(adminToken);
    const common = { tags: ['webhooks'], security: ADMIN_SECURITY };

    app.post(
      '/api/webhooks',
      {
        onRequest: admin,
        schema: {
          ...common,
          operationId: 'createWebhook',
          summary: 'Register a webhook (admin); the answer carries its signing secret, shown only once',
          description: DELIVERY,
          body: WebhookCreate,
          response: { 201: WebhookCreated, ...errors(400, 401, 503) },
        },
      },
      async (request, reply) => reply.code(201).send(await s.webhooks.create(request.body)),
    );

    app.get(
      '/api/webhooks',
      {
        onRequest: admin,
        schema: {
          ...common,
          operationId: 'listWebhooks',
          summary: 'The registered webhooks, without their secrets (admin)',
          description: 'Each with its URL, the events it receives, and when it was registered.',
          response: { 200: WebhookList, ...errors(401, 503) },
        },
      },
      () => s.webhooks.list(),
    );

    app.delete(
      '/api/webhooks/:webhookID',
      {
        onRequest: admin,
        schema: {
          ...common,
          operationId: 'deleteWebhook',
          summary: 'Delete a webhook; its pending deliveries are dropped (admin)',
          description: 'Deliveries already made stay in the receiver; none is attempted after this.',
          params: WebhookParams,
          response: { 204: { type: 'null', description: 'Deleted.' }, ...errors(401, 404, 503) },
        },
      },
      async (request, reply) => {
        await s.webhooks.remove(request.params.webhookID);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/api/webhooks/:webhookID/deliveries',
      {
        onRequest: admin,
        schema: {
          ...common,
          operationId: 'listWebhookDeliveries',
          summary: "A webhook's delivery log: recent attempts, newest first (admin)",
          description:
            'Every attempt with the receiver’s status code or the error, how long it took, and whether the ' +
            'message was delivered, will be retried, or has failed; `limit` is 1 to 1000 (default 100).',
          params: WebhookParams,
          querystring: DeliveryQuery,
          response: { 200: DeliveryLog, ...errors(400, 401, 404, 503) },
        },
      },
      (request) => {
        const limit = Number(request.query.limit ?? 100);
        if (limit < 1 || limit > 1000)
          return Promise.reject(new DomainError('VALIDATION_ERROR', 'limit must be 1 to 1000.'));
        return s.webhooks.deliveries(request.params.webhookID, limit);
      },
    );
  };
