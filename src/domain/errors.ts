/** The error catalogue: every code the API can answer with. Statuses live in the HTTP layer. */
export const errorMessages = {
  VALIDATION_ERROR: 'The request is not valid.',
  SESSION_REQUIRED: 'A live session is required: create one with POST /api/sessions.',
  UNAUTHORIZED: 'A valid admin token is required.',
  QUEUE_REQUIRED: 'This event has a waiting room: a lock needs a live admission from its queue.',
  PAYMENT_FAILED: 'The payment was declined.',
  NOT_FOUND: 'Not found.',
  SEATS_UNAVAILABLE: 'Some of the seats are taken or held by someone else.',
  NOT_LOCKED: 'Some of the seats are not held by this session.',
  LOCK_EXPIRED: 'The hold on some of the seats has run out.',
  NO_SEATS_TOGETHER: 'No block of free seats side by side fits the request.',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be JSON (content-type: application/json).',
  TOO_MANY_SEATS: 'That would hold more seats than one session may hold in an event.',
  IDEMPOTENCY_CONFLICT: 'This Idempotency-Key was already used with a different request.',
  RATE_LIMITED: 'Too many requests: slow down and retry later.',
  SERVICE_UNAVAILABLE: 'The service is briefly unavailable: retry shortly.',
  INTERNAL_ERROR: 'Something went wrong on our side.',
} as const;

export type ErrorCode = keyof typeof errorMessages;

/** A rule of the service was broken, or a dependency failed in a way the client can act on. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = errorMessages[code],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
