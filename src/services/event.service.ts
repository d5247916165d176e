import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { DomainError, isDomainError } from '../domain/errors.js';
import { layoutSeats } from '../domain/layout.js';
import type { Category, EventSummary, NewArea, NewSeat, Order, Reservation } from '../domain/types.js';
import { expandVenue, type VenueInput } from '../domain/venue.js';
import { isCurrency, isUuid } from '../domain/validation.js';
import type { LayoutCache } from './layout-cache.js';
import type {
  BookingRepository,
  Clock,
  CustomerRepository,
  EventRepository,
  EventSeatStats,
  HoldStore,
  LiveHold,
  OrderRepository,
  SeatRepository,
} from './ports.js';

export const MAX_SEATS_PER_EVENT = 100_000;

export type CreateEventInput = { name: string; currency: string } & (
  { layout: { rows: number; seatsPerRow: number; price: number } } | { seats: NewSeat[] } | VenueInput
);

export interface EventDeps {
  events: EventRepository;
  seats: SeatRepository;
  holds: HoldStore;
  bookings: BookingRepository;
  orders: OrderRepository;
  customers: CustomerRepository;
  clock: Clock;
  layouts: LayoutCache;
}

export class EventService {
  constructor(private readonly deps: EventDeps) {}

  async create(input: CreateEventInput, id: string = randomUUID()) {
    if (!isCurrency(input.currency)) {
      throw new DomainError('VALIDATION_ERROR', 'currency must be an ISO-4217 code such as EUR.');
    }
    const { seats, categories = [], areas = [] } = this.plan(input);
    await this.deps.events.create({
      id,
      name: input.name,
      currency: input.currency,
      // Time-ordered IDs (UUIDv7): the seats' index grows at its end, and a seat map of 10,000 of them
      // compresses to under half of what random IDs allow.
      seats: seats.map((s) => ({ ...s, id: uuidv7() })),
      categories,
      areas: areas.map((a) => ({ ...a, id: randomUUID() })),
      now: this.deps.clock.now(),
    });
    return { eventID: id, name: input.name, seatCount: seats.length };
  }

  /** What the event is made of, from whichever of the three forms the request used. */
  private plan(input: CreateEventInput): { seats: NewSeat[]; categories?: Category[]; areas?: NewArea[] } {
    if ('categories' in input) return expandVenue(input, MAX_SEATS_PER_EVENT);
    const seats = 'layout' in input ? this.fromLayout(input.layout) : input.seats;
    if (seats.length === 0 || seats.length > MAX_SEATS_PER_EVENT) {
      throw new DomainError('VALIDATION_ERROR', `An event has 1 to ${MAX_SEATS_PER_EVENT} seats.`);
    }
    if (new Set(seats.map((s) => s.name)).size !== seats.length)
      throw new DomainError('VALIDATION_ERROR', 'Seat names must be unique.');
    return { seats };
  }

  private fromLayout(layout: { rows: number; seatsPerRow: number; price: number }): NewSeat[] {
    if (layout.rows * layout.seatsPerRow > MAX_SEATS_PER_EVENT) {
      throw new DomainError('VALIDATION_ERROR', `An event has 1 to ${MAX_SEATS_PER_EVENT} seats.`);
    }
    return layoutSeats(layout.rows, layout.seatsPerRow, layout.price);
  }

  async list(): Promise<{ events: EventSummary[] }> {
    const now = this.deps.clock.now();
    const events = await this.deps.events.list(now);
    if (this.deps.holds.inDatabase) return { events };
    // Holds kept outside the database: subtract the live ones from what the database counts as free.
    const held = await Promise.all(events.map(async (e) => (await this.liveHolds(e.eventID, now)).holds));
    return {
      events: events.map((e, i) => ({ ...e, availableCount: e.availableCount - (held[i]?.size ?? 0) })),
    };
  }

  /** Sold and held seats of the most recent events (a bounded set, for metrics). */
  async seatStats(limit = 20): Promise<EventSeatStats[]> {
    const now = this.deps.clock.now();
    const stats = await this.deps.events.stats(now, limit);
    if (this.deps.holds.inDatabase) return stats;
    return Promise.all(
      stats.map(async (s) => ({ ...s, held: (await this.liveHolds(s.eventID, now)).holds.size })),
    );
  }

  /**
   * Live holds, or none when their store is down: the seat map then still serves what the database
   * knows (sales) and says that hold data is missing, rather than failing as a whole.
   */
  private async liveHolds(eventId: string, now: Date) {
    try {
      return { holds: await this.deps.holds.live(eventId, now), unavailable: false };
    } catch (e) {
      if (!(isDomainError(e) && e.code === 'SERVICE_UNAVAILABLE')) throw e;
      return { holds: new Map<string, LiveHold>(), unavailable: true };
    }
  }

  async reservations(eventId: string): Promise<{ reservations: (Reservation & { order: Order })[] }> {
    if (!isUuid(eventId) || !(await this.deps.events.get(eventId)))
      throw new DomainError('NOT_FOUND', 'Unknown event.');
    return { reservations: await this.deps.bookings.listForEvent(eventId) };
  }

  async orders(customerId?: string): Promise<{ orders: Order[] }> {
    if (
      customerId !== undefined &&
      (!isUuid(customerId) || !(await this.deps.customers.exists(customerId)))
    ) {
      throw new DomainError('NOT_FOUND', 'Unknown customer.');
    }
    return { orders: await this.deps.orders.list(customerId) };
  }

  async createCustomer(name: string) {
    const id = randomUUID();
    await this.deps.customers.create({ id, name, now: this.deps.clock.now() });
    return { customerID: id, name };
  }
}
