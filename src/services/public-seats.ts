import { seatAt } from '../domain/seat-rules.js';
import type { SeatChange } from '../domain/seat-feed.js';
import { isUuid } from '../domain/validation.js';
import type { Clock, EventRepository, HoldStore, SeatRepository } from './ports.js';

/** Seats as every viewer sees them: status and deadline, never who holds them. For the live map. */
export class PublicSeats {
  constructor(
    private readonly deps: { events: EventRepository; seats: SeatRepository; holds: HoldStore; clock: Clock },
  ) {}

  async exists(eventId: string): Promise<boolean> {
    return isUuid(eventId) && (await this.deps.events.get(eventId)) !== null;
  }

  /** The given seats of the event, or all of them; read now, so an expired hold reads as available. */
  async read(eventId: string, seatIds?: readonly string[]): Promise<SeatChange[]> {
    const now = this.deps.clock.now();
    const [records, holds] = await Promise.all([
      seatIds ? this.deps.seats.find(eventId, seatIds) : this.deps.seats.listForEvent(eventId),
      this.deps.holds.live(eventId, now),
    ]);
    return records.map((r) => ({ seatID: r.id, ...seatAt(r.confirmed, holds.get(r.id), now) }));
  }
}
