import { DomainError } from '../domain/errors.js';
import { isUuid } from '../domain/validation.js';
import { splitPlaces, type PlaceCount } from '../domain/places.js';
import { presentHeld, type EventLayout, type LayoutCache } from './layout-cache.js';
import type { Clock, HoldStore, SeatChanges, SeatRepository } from './ports.js';
import type { QueueGate } from './queue-gate.js';
import type { SessionService } from './session.service.js';

export interface LockResult {
  eventID: string;
  seatIDs: string[];
  /** Standing places held, per area: present for events with areas. */
  places?: PlaceCount[];
  lockUntil: string;
}

export interface CancelResult {
  released: string[];
  releasedPlaces?: PlaceCount[];
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
      seats: Pick<SeatRepository, 'areasOf'>;
    },
    private readonly cfg: { lockTtlSeconds: number; maxSeatsPerSession: number; maxHoldSeconds: number },
  ) {}

  async lock(
    token: string | undefined,
    eventId: string,
    seatIds: readonly string[],
    places: readonly PlaceCount[] = [],
  ): Promise<LockResult> {
    const session = this.deps.sessions.proof(token);
    if (!session) throw new DomainError('SESSION_REQUIRED');
    const asked = seatIds.length + places.reduce((n, p) => n + p.quantity, 0);
    if (asked === 0)
      await this.refuse(token, () => invalid('Give seatIDs, places or both.', { field: 'seatIDs' }));
    if (asked > this.cfg.maxSeatsPerSession) await this.refuse(token, () => this.tooMany(asked));
    // Seats never change once their event exists: the layout, cached per instance, answers which exist.
    const layout = isUuid(eventId) ? await this.deps.layouts.get(eventId) : null;
    if (!layout) await this.refuse(token, () => new DomainError('NOT_FOUND', 'Unknown event.'));
    const unknown = seatIds.filter((id) => !layout!.seats.has(id));
    if (unknown.length > 0) await this.refuse(token, () => this.unknown(unknown));
    const badArea = unknownAreas(layout!, places);
    if (badArea) await this.refuse(token, () => badArea);
    // The waiting room: nothing at all for an event without one (no promise, no lookup).
    const queued = this.deps.gate.check(eventId, token);
    if (queued) await queued;

    const until = new Date(session.now.getTime() + this.cfg.lockTtlSeconds * 1000);
    const result = await this.deps.holds.acquire({
      session,
      eventId,
      seatIds,
      places: places.map((p) => ({ areaId: p.areaID, quantity: p.quantity })),
      until,
      capMs: this.cfg.maxHoldSeconds * 1000,
      maxSeats: this.cfg.maxSeatsPerSession,
    });
    switch (result.kind) {
      case 'ok':
        // Every seat the session holds got the new deadline, not only the requested ones.
        this.deps.changes.publish({ eventId, seatIds: result.heldAfter });
        return {
          eventID: eventId,
          ...presentHeld(layout!, result.heldAfter),
          lockUntil: result.until.toISOString(),
        };
      case 'unavailable':
        throw new DomainError('SEATS_UNAVAILABLE', undefined, {
          unavailable: result.seatIDs,
          ...(result.soldOut && { soldOut: result.soldOut }),
        });
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
  ): Promise<CancelResult> {
    const session = this.deps.sessions.proof(token);
    if (!session) throw new DomainError('SESSION_REQUIRED');
    const layout = eventId !== undefined && isUuid(eventId) ? await this.deps.layouts.get(eventId) : null;
    if (eventId !== undefined && !layout)
      await this.refuse(token, () => new DomainError('NOT_FOUND', 'Unknown event.'));
    // Named seats only: places are let go by a cancel without seatIDs.
    const named = layout ? seatIds?.filter((id) => layout.seats.has(id)) : seatIds?.filter(isUuid);
    const result = await this.deps.holds.release({ session, eventId, seatIds: named });
    if (!result) throw new DomainError('SESSION_REQUIRED');
    if (result.released.length > 0)
      this.deps.changes.publish({ eventId, seatIds: result.released, freed: true });
    if (result.released.length === 0) return { released: [] };
    const { seatIDs, places } = layout
      ? presentHeld(layout, result.released)
      : await this.acrossEvents(result.released);
    return { released: seatIDs, ...(places && { releasedPlaces: places }) };
  }

  /** Released rows of any events (a cancel without eventID): which are places, asked of the database. */
  private async acrossEvents(ids: readonly string[]) {
    const areaOf = await this.deps.seats.areasOf(ids);
    const { seatIDs, places } = splitPlaces(ids, areaOf, [...new Set(areaOf.values())]);
    return places.length > 0 ? { seatIDs, places } : { seatIDs };
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
    return invalid('Some seats are not in this event.', { unknown });
  }
}

const invalid = (message: string, details: Record<string, unknown>): never => {
  throw new DomainError('VALIDATION_ERROR', message, details);
};

/** Areas asked for that the event does not have, or asked for twice: the error, or null. */
function unknownAreas(layout: EventLayout, places: readonly PlaceCount[]): DomainError | null {
  if (places.length === 0) return null;
  const areas = new Set(layout.areas.map((a) => a.id));
  const unknown = places.filter((p) => !areas.has(p.areaID)).map((p) => p.areaID);
  if (unknown.length > 0)
    return new DomainError('VALIDATION_ERROR', 'Some areas are not in this event.', {
      unknownAreas: unknown,
    });
  if (new Set(places.map((p) => p.areaID)).size < places.length)
    return new DomainError('VALIDATION_ERROR', 'places lists an area twice: give one quantity per area.', {
      field: 'places',
    });
  return null;
}
