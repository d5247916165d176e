import { seatAt } from '../domain/seat-rules.js';
import type { SeatChange } from '../domain/seat-feed.js';
import type { Area, SeatStatus, SeatView } from '../domain/types.js';
import { isUuid } from '../domain/validation.js';
import type { LayoutCache } from './layout-cache.js';
import type { Clock, EventRepository, HoldStore, SeatLayout, SeatRepository } from './ports.js';
import type { SeatMaps } from './seat-maps.js';

/** A seat as the seat map shows it; a venue's seats also say where they are and what they are sold as. */
export function seatView(seat: SeatLayout, status: SeatStatus, lockUntil: string | null): SeatView {
  const { id: seatID, name, price } = seat;
  if (seat.section === null) return { seatID, name, status, price, lockUntil, lockedByMe: false };
  return {
    seatID,
    name,
    status,
    price,
    lockUntil,
    lockedByMe: false,
    section: seat.section,
    row: seat.row!,
    number: seat.number!,
    category: seat.category!,
    accessible: seat.accessible,
  };
}

export interface AreaView {
  areaID: string;
  name: string;
  category: string;
  price: number;
  capacity: number;
  available: number;
}

/** Standing areas as the seat map shows them. `taken` counts the places held or sold per area. */
export function areaViews(
  areas: readonly Area[],
  taken: ReadonlyMap<string, number> = new Map(),
): AreaView[] {
  return areas.map(({ id, name, category, price, capacity }) => ({
    areaID: id,
    name,
    category,
    price,
    capacity,
    available: Math.max(0, capacity - (taken.get(id) ?? 0)),
  }));
}

/** Seats as every viewer sees them: status and deadline, never who holds them. For the live map. */
export class PublicSeats {
  constructor(
    private readonly deps: {
      events: EventRepository;
      seats: SeatRepository;
      holds: HoldStore;
      clock: Clock;
      seatMaps: SeatMaps;
      layouts: LayoutCache;
    },
  ) {}

  async exists(eventId: string): Promise<boolean> {
    return isUuid(eventId) && (await this.deps.events.get(eventId)) !== null;
  }

  /**
   * The given seats of the event, or all of them; read now, so an expired hold reads as available.
   * Standing places come with their area, for the stream to count them.
   */
  async read(eventId: string, seatIds?: readonly string[]): Promise<SeatChange[]> {
    // All of them: the seat map's own cached document, so a snapshot costs no extra read.
    if (!seatIds) {
      const { seats, places } = await this.deps.seatMaps.views(eventId);
      return [...seats.map(({ seatID, status, lockUntil }) => ({ seatID, status, lockUntil })), ...places];
    }
    const now = this.deps.clock.now();
    const [layout, records, holds] = await Promise.all([
      this.deps.layouts.get(eventId),
      this.deps.seats.find(eventId, seatIds),
      this.deps.holds.live(eventId, now),
    ]);
    return records.map((r) => {
      const area = layout?.areaOf.get(r.id);
      const state = { seatID: r.id, ...seatAt(r.confirmed, holds.get(r.id), now) };
      return area === undefined ? state : { ...state, area };
    });
  }
}
