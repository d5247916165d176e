import { DomainError } from '../domain/errors.js';
import type { QueueRegistry } from './queue-registry.js';
import type { QueueStore } from './queue-ports.js';
import type { SessionService } from './session.service.js';

/**
 * The waiting room's gate in front of every lock (POST /api/lock, and best available, which locks
 * through the same service). An event without a queue costs nothing: a lookup in this process, no
 * promise. A queued one costs one lookup of the session's admission (one indexed read, or one HGET in
 * Redis mode). Confirm and cancel never pass the gate: seats already held can always be paid for.
 */
export class QueueGate {
  constructor(
    private readonly deps: { registry: QueueRegistry; store: QueueStore; sessions: SessionService },
  ) {}

  /** Undefined when the event has no queue; else settles once the session is found admitted, or throws. */
  check(eventId: string, token: string | undefined): Promise<void> | undefined {
    if (!this.deps.registry.loaded) return this.afterLoading(eventId, token);
    if (!this.deps.registry.has(eventId)) return undefined;
    return this.admitted(eventId, token);
  }

  /** Until the list of queues was read once (the store was down at start), nobody passes unchecked. */
  private async afterLoading(eventId: string, token: string | undefined): Promise<void> {
    await this.deps.registry.refresh();
    if (!this.deps.registry.loaded)
      throw new DomainError('SERVICE_UNAVAILABLE', 'The waiting rooms cannot be read: retry shortly.');
    await this.check(eventId, token);
  }

  private async admitted(eventId: string, token: string | undefined): Promise<void> {
    const proof = this.deps.sessions.proof(token);
    if (!proof) throw new DomainError('SESSION_REQUIRED');
    const until = await this.deps.store.admittedUntil(eventId, proof.tokenHash);
    if (until && until > proof.now) return;
    // Refused: a session that is not live hears 401, as on any session route (error path only).
    if (!(await this.deps.sessions.authenticate(token))) throw new DomainError('SESSION_REQUIRED');
    throw new DomainError(
      'QUEUE_REQUIRED',
      until
        ? 'Your admission to this event has ended. Seats you hold can still be paid for.'
        : `This event has a waiting room: join it with POST /api/events/${eventId}/queue and wait for your turn.`,
      { eventID: eventId, ...(until && { admittedUntil: until.toISOString() }) },
    );
  }
}
