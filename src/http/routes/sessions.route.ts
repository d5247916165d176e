import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { requireSession, SESSION_COOKIE } from '../auth.js';
import type { AppServices } from '../app.js';
import { CustomerCreate, Customer, errors, PUBLIC, SESSION_SECURITY, SessionBody } from '../schemas.js';

export const sessionRoutes =
  (s: AppServices, cap: { perMinutePerIp: number }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/sessions',
      {
        // By address, whatever the session: a client starting sessions by the hundred to hold places.
        ...(cap.perMinutePerIp > 0 && {
          config: {
            rateLimit: {
              max: cap.perMinutePerIp,
              timeWindow: 60_000,
              keyGenerator: (request: FastifyRequest) => `new-session:${request.ip}`,
            },
          },
        }),
        schema: {
          tags: ['sessions'],
          operationId: 'createSession',
          summary: 'Start a session',
          description:
            'A new session: its ID comes in the body and as the HttpOnly cookie `sid`. Present it as header ' +
            '`X-Session-ID` or cookie `sid`; each request moves its expiry forward.',
          security: PUBLIC,
          response: { 201: SessionBody, ...errors(429, 503) },
        },
      },
      async (_request, reply) => {
        const { token, expiresAt } = await s.sessions.create();
        void reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', path: '/' });
        return reply.code(201).send({ sessionID: token, expiresAt: expiresAt.toISOString() });
      },
    );

    app.delete(
      '/api/sessions/current',
      {
        preHandler: requireSession(s.sessions),
        schema: {
          tags: ['sessions'],
          operationId: 'endSession',
          summary: 'End the session and release all its locks',
          description: 'Ends the session at once; every seat it holds is on sale again.',
          security: SESSION_SECURITY,
          response: { 204: { type: 'null', description: 'Ended.' }, ...errors(401, 503) },
        },
      },
      async (request, reply) => {
        await s.sessions.end(request.session!);
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/api/customers',
      {
        schema: {
          tags: ['customers'],
          operationId: 'createCustomer',
          summary: 'Create a customer',
          description: 'A customer to confirm seats for: `customerID` goes into `POST /api/confirm`.',
          security: PUBLIC,
          body: CustomerCreate,
          response: { 201: Customer, ...errors(400, 503) },
        },
      },
      async (request, reply) => reply.code(201).send(await s.events.createCustomer(request.body.name)),
    );
  };
