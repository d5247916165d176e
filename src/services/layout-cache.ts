import { splitPlaces, type PlaceCount } from '../domain/places.js';
import type { Area, Category, EventInfo } from '../domain/types.js';
import type { EventRepository, SeatLayout, SeatRepository } from './ports.js';

export interface EventLayout {
  event: EventInfo;
  /** The named seats, in seat-map order (standing places are not among them). */
  seats: readonly SeatLayout[];
  /** The event's seat IDs, for the lock path to tell unknown seats without a query. */
  ids: ReadonlySet<string>;
  /** Place row -> its area, for every standing place of the event. */
  areaOf: ReadonlyMap<string, string>;
  /** A venue's price categories and standing areas; empty for other events. */
  categories: readonly Category[];
  areas: readonly Area[];
}

/**
 * Events and their seat layouts never change once created, so every instance may keep the ones it
 * serves: a lock then checks seat IDs without a query, and a seat map reads only what does change
 * (sales and holds). Bounded, oldest out first; unknown events are not remembered.
 */
export class LayoutCache {
  private readonly entries = new Map<string, Promise<EventLayout | null>>();

  constructor(
    private readonly deps: { events: EventRepository; seats: SeatRepository },
    private readonly max = 1000,
  ) {}

  get(eventId: string): Promise<EventLayout | null> {
    const hit = this.entries.get(eventId);
    if (hit) return hit;
    const loading = this.load(eventId).then(
      (layout) => {
        if (!layout) this.entries.delete(eventId);
        return layout;
      },
      (e: unknown) => {
        this.entries.delete(eventId);
        throw e;
      },
    );
    this.entries.set(eventId, loading);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return loading;
  }

  private async load(eventId: string): Promise<EventLayout | null> {
    const event = await this.deps.events.get(eventId);
    if (!event) return null;
    const [seats, venue] = await Promise.all([
      this.deps.seats.layout(eventId),
      this.deps.events.venue(eventId),
    ]);
    const named = seats.filter((s) => s.area === null);
    const areaOf = new Map(seats.filter((s) => s.area !== null).map((s) => [s.id, s.area!]));
    return { event, seats: named, ids: new Set(named.map((s) => s.id)), areaOf, ...venue };
  }
}

/**
 * Held, released or sold rows of one event as clients see them: named seats, and places counted per
 * area (the field left out when there are none).
 */
export function presentHeld(
  layout: EventLayout,
  ids: readonly string[],
): { seatIDs: string[]; places?: PlaceCount[] } {
  const { seatIDs, places } = splitPlaces(
    ids,
    layout.areaOf,
    layout.areas.map((a) => a.id),
  );
  return places.length > 0 ? { seatIDs, places } : { seatIDs };
}
