import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DomainError, errorMessages, type ErrorCode } from '../domain/errors.js';

export const statusOf: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  SESSION_REQUIRED: 401,
  UNAUTHORIZED: 401,
  PAYMENT_FAILED: 402,
  QUEUE_REQUIRED: 403,
  NOT_FOUND: 404,
  SEATS_UNAVAILABLE: 409,
  NOT_LOCKED: 409,
  LOCK_EXPIRED: 409,
  NO_SEATS_TOGETHER: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_SEATS: 422,
  IDEMPOTENCY_CONFLICT: 422,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

const RETRY_AFTER_SECONDS = '1';

export function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  message?: string,
  details: Record<string, unknown> = {},
) {
  const status = statusOf[code];
  if (status === 503 && !reply.hasHeader('retry-after'))
    void reply.header('retry-after', RETRY_AFTER_SECONDS);
  return reply
    .code(status)
    .type('application/json')
    .send({ ...details, error: code, message: message ?? errorMessages[code] });
}

/** Fastify's own errors (parsing, limits, validation) in our catalogue's words. */
function classify(e: FastifyError): { code: ErrorCode; message?: string } {
  if (e.validation) return { code: 'VALIDATION_ERROR', message: e.message };
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'VALIDATION_ERROR', message: 'The body is not valid JSON.' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'PAYLOAD_TOO_LARGE' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'UNSUPPORTED_MEDIA_TYPE' };
  }
  if (e.statusCode === 429) return { code: 'RATE_LIMITED' };
  if (e.statusCode === 413) return { code: 'PAYLOAD_TOO_LARGE' };
  if (e.statusCode === 404) return { code: 'NOT_FOUND' };
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return { code: 'VALIDATION_ERROR', message: 'The request is not valid.' };
  }
  return { code: 'INTERNAL_ERROR' };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (error instanceof DomainError) {
      if (error.code === 'SERVICE_UNAVAILABLE')
        request.log.warn({ reason: error.message }, 'service unavailable');
      return sendError(reply, error.code, error.message, error.details);
    }
    const { code, message } = classify(error);
    // 5xx bodies never carry internals; the log keeps them for us.
    if (code === 'INTERNAL_ERROR') request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, code, message);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 'NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`),
  );
}
