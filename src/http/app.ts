import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import compress from '@fastify/compress';
import helmet from 'helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { BestAvailableService } from '../services/best-available.service.js';
import type { ConfirmService } from '../services/confirm.service.js';
import type { EventService } from '../services/event.service.js';
import type { SeatHistoryService } from '../services/history.service.js';
import type { IdempotencyService } from '../services/idempotency.service.js';
import type { LockService } from '../services/lock.service.js';
import type { RefundService } from '../services/refund.service.js';
import type { SeatMaps } from '../services/seat-maps.js';
import type { QueueService } from '../services/queue.service.js';
import type { SeatFeed } from '../services/seat-feed.service.js';
import { hashToken, type SessionService } from '../services/session.service.js';
import type { WebhookService } from '../services/webhook.service.js';
import { sessionToken } from './auth.js';
import { errorMessages, type ErrorCode } from '../domain/errors.js';
import { registerErrorHandling, statusOf } from './errors.js';
import { ErrorBody } from './schemas.js';
import { instrument, type Metrics } from './metrics.js';
import { eventRoutes } from './routes/events.route.js';
import { lifecycleRoutes } from './routes/lifecycle.route.js';
import { afterSaleRoutes } from './routes/after-sale.route.js';
import { opsRoutes } from './routes/ops.route.js';
import { queueMetrics } from './queue-metrics.js';
import { queueRoutes } from './routes/queue.route.js';
import { sessionRoutes } from './routes/sessions.route.js';
import { streamRoutes } from './routes/stream.route.js';
import { webhookRoutes } from './routes/webhooks.route.js';
import { DEFAULT_SSE_OPTIONS, type SseOptions } from './sse.js';
import { uniqueItemsPlugin } from './unique-items.js';
import { DEFAULT_WEB_ROOT, registerWeb } from './web.js';

export interface AppServices {
  sessions: SessionService;
  locks: LockService;
  best: BestAvailableService;
  confirms: ConfirmService;
  idempotency: IdempotencyService;
  events: EventService;
  seatMaps: SeatMaps;
  feed: SeatFeed;
  refunds: RefundService;
  history: SeatHistoryService;
  webhooks: WebhookService;
  queue: QueueService;
  readiness(): Promise<Record<string, boolean>>;
  dbStats(): { total: number; idle: number; waiting: number };
}

export interface AppOptions {
  adminToken: string;
  rateLimitPerMinute: number;
  /** New sessions per minute per client address; 0 or unset: no cap. */
  sessionsPerMinutePerIp?: number;
  /** Proxies trusted for the client's address (X-Forwarded-For); 0 or unset: none. */
  trustProxy?: number;
  metrics: Metrics;
  logger: FastifyServerOptions['logger'];
  /** Called for every 5xx answer (alerting on bursts). */
  onServerError?: () => void;
  /** The built web UI; by default web/dist. */
  webRoot?: string;
  stream?: Partial<SseOptions>;
}

const BODY_LIMIT = 64 * 1024;

const API_DESCRIPTION = [
  'Lock, confirm and cancel seats for events; a seat is never sold twice.',
  '',
  'Every error is `{"error": "<CODE>", "message": "<text>", ...details}`. The codes:',
  '',
  '| code | status | meaning |',
  '|---|---|---|',
  ...Object.entries(errorMessages).map(
    ([code, message]) => `| ${code} | ${statusOf[code as ErrorCode]} | ${message} |`,
  ),
].join('\n');

export const LOG_REDACT = [
  'req.headers["x-session-id"]',
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
];

/** Security headers of every /api/ answer (JSON and the event streams). */
const API_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'cross-origin-resource-policy': 'same-origin',
};

export async function buildApp(services: AppServices, opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger,
    bodyLimit: BODY_LIMIT,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Strict JSON: a string is not silently turned into a number or a one-element array.
    ajv: { customOptions: { coerceTypes: false, allErrors: false }, plugins: [uniqueItemsPlugin] },
    // A request that reaches a closing server on a kept-alive connection is still served (the database
    // stays open until the drain ends) instead of getting Fastify's own 503, which has neither our error
    // shape nor Retry-After.
    return503OnClosing: false,
    // The nearest `trustProxy` hops are proxies of ours: the client is the address before them.
    trustProxy: opts.trustProxy ? (_address: string, hop: number) => hop < opts.trustProxy! : false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON in and out: a text body is refused with 415 instead of reaching a handler as a string.
  app.removeContentTypeParser('text/plain');
  // server.close() only ends the connections idle at that moment: one kept alive after answering a request
  // that was in flight would hold the shutdown until keepAliveTimeout. Once closing, answer and hang up.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  registerErrorHandling(app);
  app.addSchema(ErrorBody);
  instrument(app, opts.metrics, opts.onServerError);
  await app.register(cookie);
  // gzip or br by Accept-Encoding for every answer worth it; a seat map brings its own, made once per
  // change (the plugin leaves an answer that already has a Content-Encoding alone).
  await app.register(compress, { encodings: ['br', 'gzip'], threshold: 1024 });
  // Security headers. The API's JSON answers get the ones that matter for an API (OWASP's REST Security
  // Cheat Sheet: no sniffing, no framing, HSTS) and same-origin resources, set in one step; pages (the web
  // UI, the API docs) get Helmet's full set, its middleware made once. Helmet's whole set on every lock,
  // most of it meant for documents, cost a fifth of the lock's throughput.
  const pageHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        // Helmet's default would make a browser fetch the UI's scripts over https even when the page
        // came over plain http from another machine (a phone on the LAN): a blank page. TLS, where
        // there is TLS, is the proxy's and HSTS's job.
        'upgrade-insecure-requests': null,
      },
    },
  });
  // Hooks on every request are plain callbacks, not async functions: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    if (!request.url.startsWith('/api/'))
      return pageHeaders(request.raw, reply.raw, (e) => done(e as Error | undefined));
    void reply.headers(API_HEADERS);
    done();
  });
  const sessionsCap = opts.sessionsPerMinutePerIp ?? 0;
  if (opts.rateLimitPerMinute > 0 || sessionsCap > 0) {
    await app.register(rateLimit, {
      // RATE_LIMIT_PER_MINUTE 0 turns the limit of every route off; the cap on new sessions stays.
      global: opts.rateLimitPerMinute > 0,
      max: opts.rateLimitPerMinute,
      timeWindow: 60_000,
      allowList: (request) => !request.url.startsWith('/api/'),
      // By session where there is one (hashed: the limiter keeps no secret), else by address.
      keyGenerator: (request) => {
        const token = sessionToken(request);
        return token ? `s:${hashToken(token).toString('base64url')}` : `ip:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        error: 'RATE_LIMITED',
        message: `Too many requests: retry in ${Math.ceil(context.ttl / 1000)} s.`,
      }),
    });
  }
  await app.register(swagger, {
    // Shared schemas appear under their own $id in components.schemas (Error), not as def-0.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Seat reservation API',
        version: '1.0.0',
        description: API_DESCRIPTION,
      },
      // Relative: the document describes whichever instance serves it.
      servers: [{ url: '/', description: 'The instance serving this document' }],
      tags: [
        { name: 'sessions', description: 'Anonymous sessions that hold seats' },
        { name: 'customers', description: 'Who reservations are for' },
        { name: 'events', description: 'Events and their sales (creating and reporting: admin)' },
        { name: 'orders', description: 'Payments, paid and failed (admin)' },
        { name: 'seats', description: 'Seat maps, holds, and turning holds into reservations' },
        { name: 'waiting room', description: 'A fair queue in front of an on-sale (setting it up: admin)' },
        {
          name: 'reservations',
          description: 'After the sale: cancelling a reservation and refunding it (admin)',
        },
        { name: 'webhooks', description: 'Signed notices of sales, refunds and failed orders (admin)' },
        { name: 'operations', description: 'Health, readiness and metrics' },
      ],
      components: {
        securitySchemes: {
          sessionHeader: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Session-ID',
            description: 'The `sessionID` from `POST /api/sessions`.',
          },
          sessionCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'sid',
            description: 'The HttpOnly cookie set by `POST /api/sessions`.',
          },
          adminToken: { type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN of the service.' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  await app.register(sessionRoutes(services, { perMinutePerIp: sessionsCap }));
  await app.register(eventRoutes(services, opts.adminToken));
  await app.register(lifecycleRoutes(services));
  await app.register(afterSaleRoutes(services, opts.adminToken));
  await app.register(webhookRoutes(services, opts.adminToken));
  await app.register(opsRoutes(services, opts.metrics));
  await app.register(streamRoutes(services, { ...DEFAULT_SSE_OPTIONS, ...opts.stream }, opts.metrics));
  await app.register(queueRoutes(services, opts.adminToken, { ...DEFAULT_SSE_OPTIONS, ...opts.stream }));
  queueMetrics(opts.metrics.registry, services.queue);
  await registerWeb(app, opts.webRoot ?? DEFAULT_WEB_ROOT);
  return app;
}
