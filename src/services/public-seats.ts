import { seatAt } from '../domain/seat-rules.js';
import type { SeatChange } from '../domain/seat-feed.js';
import { isUuid } from '../domain/validation.js';
import type { Clock, EventRepository, HoldStore, SeatRepository } from './ports.js';
import type { SeatMaps } from './seat-maps.js';

/** Seats as every viewer sees them: status and deadline, never who holds them. For the live map. */
export class PublicSeats {
  constructor(
    private readonly deps: {
      events: EventRepository;
      seats: SeatRepository;
      holds: HoldStore;
      clock: Clock;
      seatMaps: SeatMaps;
    },
  ) {}

  async exists(eventId: string): Promise<boolean> {
    return isUuid(eventId) && (await this.deps.events.get(eventId)) !== null;
  }

  /** The given seats of the event, or all of them; read now, so an expired hold reads as available. */
  async read(eventId: string, seatIds?: readonly string[]): Promise<SeatChange[]> {
    // All of them: the seat map's own cached document, so a snapshot costs no extra read.
    if (!seatIds)
      return (await this.deps.seatMaps.views(eventId)).map(({ seatID, status, lockUntil }) => ({
        seatID,
        status,
        lockUntil,
      }));
    const now = this.deps.clock.now();
    const [records, holds] = await Promise.all([
      this.deps.seats.find(eventId, seatIds),
      this.deps.holds.live(eventId, now),
    ]);
    return records.map((r) => ({ seatID: r.id, ...seatAt(r.confirmed, holds.get(r.id), now) }));
  }
}
