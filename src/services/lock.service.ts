import { DomainError } from '../domain/errors.js';
import type { Session } from '../domain/types.js';
import { isUuid } from '../domain/validation.js';
import type { Clock, EventRepository, HoldStore, SeatChanges, SeatRepository } from './ports.js';

export interface LockResult {
  eventID: string;
  seatIDs: string[];
  lockUntil: string;
}

export class LockService {
  constructor(
    private readonly deps: {
      holds: HoldStore;
      events: EventRepository;
      seats: SeatRepository;
      clock: Clock;
      changes: SeatChanges;
    },
    private readonly cfg: { lockTtlSeconds: number; maxSeatsPerSession: number },
  ) {}

  async lock(session: Session, eventId: string, seatIds: readonly string[]): Promise<LockResult> {
    if (!isUuid(eventId)) throw new DomainError('NOT_FOUND', 'Unknown event.');
    if (!seatIds.every(isUuid)) await this.rejectUnknown(eventId, seatIds);
    if (seatIds.length > this.cfg.maxSeatsPerSession) this.tooMany(seatIds.length);

    const now = this.deps.clock.now();
    const until = new Date(now.getTime() + this.cfg.lockTtlSeconds * 1000);
    const result = await this.deps.holds.acquire({
      eventId,
      sessionId: session.id,
      seatIds,
      now,
      until,
      maxSeats: this.cfg.maxSeatsPerSession,
    });
    switch (result.kind) {
      case 'ok':
        // Every seat the session holds got the new deadline, not only the requested ones.
        this.deps.changes.publish({ eventId, seatIds: result.heldAfter });
        return { eventID: eventId, seatIDs: result.heldAfter, lockUntil: until.toISOString() };
      case 'unavailable':
        throw new DomainError('SEATS_UNAVAILABLE', undefined, { unavailable: result.seatIDs });
      case 'too-many':
        return this.tooMany(result.wouldHold);
      case 'unknown':
        return this.rejectUnknown(eventId, seatIds);
      case 'no-session':
        throw new DomainError('SESSION_REQUIRED');
    }
  }

  async cancel(
    session: Session,
    eventId?: string,
    seatIds?: readonly string[],
  ): Promise<{ released: string[] }> {
    if (eventId !== undefined && !isUuid(eventId)) throw new DomainError('NOT_FOUND', 'Unknown event.');
    const released = await this.deps.holds.release({
      sessionId: session.id,
      eventId,
      seatIds: seatIds?.filter(isUuid),
      now: this.deps.clock.now(),
    });
    if (released.length > 0) this.deps.changes.publish({ eventId, seatIds: released });
    // Only asked when nothing was released, so the common path stays one round trip.
    if (released.length === 0 && eventId !== undefined && !(await this.deps.events.get(eventId))) {
      throw new DomainError('NOT_FOUND', 'Unknown event.');
    }
    return { released };
  }

  private tooMany(wouldHold: number): never {
    const max = this.cfg.maxSeatsPerSession;
    throw new DomainError('TOO_MANY_SEATS', `A session may hold at most ${max} seats in an event.`, {
      max,
      requested: wouldHold,
    });
  }

  /** Some requested seats are not in the event: say which, or 404 if the event itself is unknown. */
  private async rejectUnknown(eventId: string, seatIds: readonly string[]): Promise<never> {
    if (!(await this.deps.events.get(eventId))) throw new DomainError('NOT_FOUND', 'Unknown event.');
    const known = new Set((await this.deps.seats.find(eventId, seatIds.filter(isUuid))).map((s) => s.id));
    const unknown = seatIds.filter((id) => !known.has(id));
    throw new DomainError('VALIDATION_ERROR', 'Some seats are not in this event.', { unknown });
  }
}
