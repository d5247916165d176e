import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import type { Session } from '../domain/types.js';
import { hashToken, type SessionService } from '../services/session.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
  }
}

export const SESSION_COOKIE = 'sid';

/** The session ID as presented: header `X-Session-ID` first, else cookie `sid`. */
export function sessionToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-session-id'];
  if (typeof header === 'string' && header !== '') return header;
  return request.cookies[SESSION_COOKIE];
}

export const loadSession = (sessions: SessionService) => async (request: FastifyRequest) => {
  request.session = await sessions.authenticate(sessionToken(request));
};

export const requireSession = (sessions: SessionService) => async (request: FastifyRequest) => {
  request.session = await sessions.authenticate(sessionToken(request));
  if (!request.session) throw new DomainError('SESSION_REQUIRED');
};

/** Bearer admin token, compared in constant time (digests first, so length leaks nothing either). */
export const requireAdmin = (adminToken: string) => {
  const expected = hashToken(adminToken);
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (!match?.[1] || !timingSafeEqual(hashToken(match[1]), expected)) throw new DomainError('UNAUTHORIZED');
    return Promise.resolve();
  };
};
