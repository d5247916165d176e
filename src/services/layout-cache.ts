import { splitPlaces, type PlaceCount } from '../domain/places.js';
import type { Area, Category, EventInfo } from '../domain/types.js';
import type { EventRepository, SeatRepository } from './ports.js';
import { SeatTable } from './seat-table.js';

export interface EventLayout {
  event: EventInfo;
  /**
   * The named seats, in seat-map order (standing places are not among them); the lock path tells unknown
   * seats by them without a query.
   */
  seats: SeatTable;
  /** Place row -> its area, for every standing place of the event. */
  areaOf: ReadonlyMap<string, string>;
  /** A venue's price categories and standing areas; empty for other events. */
  categories: readonly Category[];
  areas: readonly Area[];
}

// About 50 bytes of heap a seat packed (its ID, a short name, its place): 2,000,000 seats is ~100 MB.
const DEFAULT_MAX_SEATS = 2_000_000;

interface Entry {
  layout: Promise<EventLayout | null>;
  /** The event (1) and its rows (seats and places) once loaded; 0 while loading. */
  rows: number;
}

/**
 * Events and their seat layouts never change once created, so every instance may keep the ones it
 * serves: a lock then checks seat IDs without a query, and a seat map reads only what does change
 * (sales and holds). Bounded by the rows kept, not the events, since one stadium weighs as much as a
 * hundred small halls: oldest out first, never the one just loaded. Unknown events are not remembered.
 */
export class LayoutCache {
  private readonly entries = new Map<string, Entry>();
  private rows = 0;

  constructor(
    private readonly deps: { events: EventRepository; seats: SeatRepository },
    private readonly maxRows = DEFAULT_MAX_SEATS,
  ) {}

  get(eventId: string): Promise<EventLayout | null> {
    const hit = this.entries.get(eventId);
    if (hit) return hit.layout;
    const entry: Entry = { layout: this.load(eventId), rows: 0 };
    entry.layout.then(
      (layout) => {
        if (!layout) return this.drop(eventId, entry);
        if (this.entries.get(eventId) !== entry) return;
        entry.rows = 1 + layout.seats.size + layout.areaOf.size;
        this.rows += entry.rows;
        this.trim(eventId);
      },
      () => this.drop(eventId, entry),
    );
    this.entries.set(eventId, entry);
    return entry.layout;
  }

  /** How many events and rows are kept (for tests and metrics). */
  get size(): { events: number; rows: number } {
    return { events: this.entries.size, rows: this.rows };
  }

  private drop(eventId: string, entry: Entry): void {
    if (this.entries.get(eventId) !== entry) return;
    this.entries.delete(eventId);
    this.rows -= entry.rows;
  }

  private trim(keep: string): void {
    for (const [id, entry] of this.entries) {
      if (this.rows <= this.maxRows) return;
      if (id !== keep) this.drop(id, entry);
    }
  }

  private async load(eventId: string): Promise<EventLayout | null> {
    const event = await this.deps.events.get(eventId);
    if (!event) return null;
    const [seats, venue] = await Promise.all([
      this.deps.seats.layout(eventId),
      this.deps.events.venue(eventId),
    ]);
    const named = new SeatTable(seats.filter((s) => s.area === null));
    const areaOf = new Map(seats.filter((s) => s.area !== null).map((s) => [s.id, s.area!]));
    return { event, seats: named, areaOf, ...venue };
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
