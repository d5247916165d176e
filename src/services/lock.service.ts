import { DomainError } from '../domain/errors.js';
import { isUuid } from '../domain/validation.js';
import type { LayoutCache } from './layout-cache.js';
import type { Clock, HoldStore, SeatChanges } from './ports.js';
import type { QueueGate } from './queue-gate.js';
import type { SessionService } from './session.service.js';

export interface LockResult {
  eventID: string;
  seatIDs: string[];
  lockUntil: string;
}

/**
 * Locks and releases: the on-sale hot path. Each takes the presented session token rather than a
 * session looked up beforehand, so that the store checks the session in the same step as the seats:
 * one round trip to the database (or one script in Redis after the session's own lookup).
 */
export class LockService {
  constructor(
    private readonly deps: {
      holds: HoldStore;
      layouts: LayoutCache;
      sessions: SessionService;
      clock: Clock;
      changes: SeatChanges;
      gate: QueueGate;
    },
    private readonly cfg: { lockTtlSeconds: number; maxSeatsPerSession: number; maxHoldSeconds: number },
  ) {}

  async lock(token: string | undefined, eventId: string, seatIds: readonly string[]): Promise<LockResult> {
    const session = this.deps.sessions.proof(token);
    if (!session) throw new DomainError('SESSION_REQUIRED');
    if (seatIds.length > this.cfg.maxSeatsPerSession)
      await this.refuse(token, () => this.tooMany(seatIds.length));
    // Seats never change once their event exists: the layout, cached per instance, answers which exist.
    const layout = isUuid(eventId) ? await this.deps.layouts.get(eventId) : null;
    if (!layout) await this.refuse(token, () => new DomainError('NOT_FOUND', 'Unknown event.'));
    const unknown = seatIds.filter((id) => !layout!.ids.has(id));
    if (unknown.length > 0) await this.refuse(token, () => this.unknown(unknown));
    // The waiting room: nothing at all for an event without one (no promise, no lookup).
    const queued = this.deps.gate.check(eventId, token);
    if (queued) await queued;

    const until = new Date(session.now.getTime() + this.cfg.lockTtlSeconds * 1000);
    const result = await this.deps.holds.acquire({
      session,
      eventId,
      seatIds,
      until,
      capMs: this.cfg.maxHoldSeconds * 1000,
      maxSeats: this.cfg.maxSeatsPerSession,
    });
    switch (result.kind) {
      case 'ok':
        // Every seat the session holds got the new deadline, not only the requested ones.
        this.deps.changes.publish({ eventId, seatIds: result.heldAfter });
        return { eventID: eventId, seatIDs: result.heldAfter, lockUntil: result.until.toISOString() };
      case 'unavailable':
        throw new DomainError('SEATS_UNAVAILABLE', undefined, { unavailable: result.seatIDs });
      case 'too-many':
        return this.tooMany(result.wouldHold);
      case 'unknown':
        return this.unknown(result.seatIDs);
      case 'no-session':
        throw new DomainError('SESSION_REQUIRED');
    }
  }

  async cancel(
    token: string | undefined,
    eventId?: string,
    seatIds?: readonly string[],
  ): Promise<{ released: string[] }> {
    const session = this.deps.sessions.proof(token);
    if (!session) throw new DomainError('SESSION_REQUIRED');
    if (eventId !== undefined && !(isUuid(eventId) && (await this.deps.layouts.get(eventId))))
      await this.refuse(token, () => new DomainError('NOT_FOUND', 'Unknown event.'));
    const result = await this.deps.holds.release({ session, eventId, seatIds: seatIds?.filter(isUuid) });
    if (!result) throw new DomainError('SESSION_REQUIRED');
    if (result.released.length > 0) this.deps.changes.publish({ eventId, seatIds: result.released });
    return { released: result.released };
  }

  /**
   * A request refused before it reached the store: without a live session the answer is still 401,
   * as for any session route (this costs a session lookup, on the error path only).
   */
  private async refuse(token: string | undefined, error: () => Error): Promise<never> {
    if (!(await this.deps.sessions.authenticate(token))) throw new DomainError('SESSION_REQUIRED');
    throw error();
  }

  private tooMany(wouldHold: number): never {
    const max = this.cfg.maxSeatsPerSession;
    throw new DomainError('TOO_MANY_SEATS', `A session may hold at most ${max} seats in an event.`, {
      max,
      requested: wouldHold,
    });
  }

  private unknown(unknown: readonly string[]): never {
    throw new DomainError('VALIDATION_ERROR', 'Some seats are not in this event.', { unknown });
  }
}
