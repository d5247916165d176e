import type { HoldCheck } from '../domain/seat-rules.js';
import type {
  Area,
  Category,
  DeliveryAttempt,
  EventInfo,
  EventSummary,
  NewArea,
  NewSeat,
  Order,
  Reservation,
  SeatChangeRecord,
  Session,
  WebhookEventType,
  WebhookInfo,
} from '../domain/types.js';

export interface Clock {
  now(): Date;
}

export type ChargeResult = { ok: true; chargeId: string } | { ok: false; reason: string };
export type RefundResult = { ok: true; refundId: string } | { ok: false; reason: string };

export interface PaymentGateway {
  /** `reference` is our order ID: a gateway that sees it twice must not charge twice. */
  charge(req: { reference: string; amount: number; currency: string; token: string }): Promise<ChargeResult>;
  /** Voids whatever was charged for `reference`, if anything; safe to call again. */
  void(reference: string): Promise<void>;
  /**
   * Gives back what was charged for `reference`. A gateway that sees it twice must not refund twice
   * (the second answers like the first). Throws when the gateway cannot be reached.
   */
  refund(req: { reference: string; amount: number; currency: string }): Promise<RefundResult>;
}

/**
 * A presented session token (hashed) and how this request moves the session's expiry. The stored expiry
 * may lag: it is rewritten (to `expiresAt`) only once it is older than `refreshBefore`, so that most
 * requests write nothing for their session.
 */
export interface SessionProof {
  tokenHash: Buffer;
  now: Date;
  expiresAt: Date;
  refreshBefore: Date;
}

export interface SessionRepository {
  create(s: { id: string; tokenHash: Buffer; now: Date; expiresAt: Date }): Promise<void>;
  /** The live session of a token, its expiry moved when due; null when unknown, expired or ended. */
  touch(proof: SessionProof): Promise<Session | null>;
  /** Marks the session ended (the database is the truth for sessions in every mode). */
  end(sessionId: string, now: Date): Promise<void>;
}

export interface CustomerRepository {
  create(c: { id: string; name: string; now: Date }): Promise<void>;
  exists(id: string): Promise<boolean>;
}

/** What operators count and are alerted on; a no-op where nobody listens. */
export interface Telemetry {
  chargeVoided(reason: 'hold_lost' | 'gateway_error' | 'abandoned'): void;
}

export const noTelemetry: Telemetry = { chargeVoided: () => undefined };

export interface EventSeatStats {
  eventID: string;
  sold: number;
  /** Live holds kept in the database; 0 where holds live elsewhere. */
  held: number;
}

export interface EventRepository {
  create(e: {
    id: string;
    name: string;
    currency: string;
    seats: (NewSeat & { id: string })[];
    categories?: Category[];
    areas?: (NewArea & { id: string })[];
    now: Date;
  }): Promise<void>;
  get(id: string): Promise<EventInfo | null>;
  /** A venue's price categories and standing areas, in the order given; empty for other events. */
  venue(id: string): Promise<{ categories: Category[]; areas: Area[] }>;
  /** Sold and held seats of the most recent events, for metrics. */
  stats(now: Date, limit: number): Promise<EventSeatStats[]>;
  list(now: Date): Promise<EventSummary[]>;
  count(): Promise<number>;
}

/** A seat as the database records it, without holds. */
export interface SeatRecord {
  id: string;
  name: string;
  price: number;
  confirmed: boolean;
}

/** What never changes about a seat once its event exists. Venue fields are null where not given. */
export interface SeatLayout {
  id: string;
  name: string;
  price: number;
  section: string | null;
  row: string | null;
  number: number | null;
  category: string | null;
  accessible: boolean;
  rank: number | null;
  /** Set on a standing area's place rows: held and sold like seats, but never shown as seats. */
  area: string | null;
}

export interface SeatRepository {
  listForEvent(eventId: string): Promise<SeatRecord[]>;
  /** The event's seats in seat-map order, without their state. */
  layout(eventId: string): Promise<SeatLayout[]>;
  soldIds(eventId: string): Promise<string[]>;
  /** The event's standing places (rows with an area), by area. */
  places(eventId: string): Promise<{ id: string; area: string }[]>;
  /** Which of these rows (of any events) are standing places: row -> area. */
  areasOf(ids: readonly string[]): Promise<Map<string, string>>;
  find(eventId: string, seatIds: readonly string[]): Promise<SeatRecord[]>;
}

export interface LiveHold {
  sessionId: string;
  until: Date;
}

export interface AcquireRequest {
  session: SessionProof;
  eventId: string;
  seatIds: readonly string[];
  /** Standing places wanted, by area: picked by the store from the area's free places. */
  places?: readonly { areaId: string; quantity: number }[];
  until: Date;
  capMs: number;
  maxSeats: number;
}

export type AcquireResult =
  | { kind: 'ok'; sessionId: string; heldAfter: string[]; until: Date }
  | { kind: 'unavailable'; seatIDs: string[]; soldOut?: string[] }
  | { kind: 'too-many'; wouldHold: number }
  | { kind: 'unknown'; seatIDs: string[] }
  | { kind: 'no-session' };

/** Where seat holds live: in the seats table, or in Redis. */
export interface HoldStore {
  /**
   * One step, session check included: all or nothing, holds every requested seat and gives every seat
   * the session holds in the event one deadline, `until` or the hold cap (`capMs` after the hold
   * began), whichever comes first. Places count towards `maxSeats` as seats do; an area without
   * enough free places fails the lock ('unavailable' naming it in `soldOut`).
   */
  acquire(req: AcquireRequest): Promise<AcquireResult>;
  /** Releases holds of the session (one step, session check included); the seats whose hold was live. */
  release(req: {
    session: SessionProof;
    eventId?: string;
    seatIds?: readonly string[];
  }): Promise<{ sessionId: string; released: string[] } | null>;
  /**
   * Ends a session and releases all its holds, atomically with respect to a racing lock. Returns the
   * seats released, for the live seat map; a store that cannot tell returns nothing, and those seats
   * then show free on the map when their holds run out.
   */
  endSession(session: Session, now: Date): Promise<string[] | void>;
  /** Seats this session holds or held in the event, live or expired but not yet swept. */
  heldBy(sessionId: string, eventId: string): Promise<string[]>;
  /** Whether the session holds every target seat right now. */
  check(sessionId: string, eventId: string, seatIds: readonly string[], now: Date): Promise<HoldCheck>;
  /** Live holds of an event, by seat. */
  live(eventId: string, now: Date): Promise<Map<string, LiveHold>>;
  /** The seats of an event sold or held now (by anyone), as the lock path sees them: what is not free. */
  takenIds(eventId: string, now: Date): Promise<string[]>;
  /** Drops holds on seats just sold (nothing to do where holds live in the seats table). */
  forget(sessionId: string, eventId: string, seatIds: readonly string[]): Promise<void>;
  /** Seats a refund put back on sale: forget any sold mark kept outside the database. */
  unsell(eventId: string, seatIds: readonly string[]): Promise<void>;
  /** Whether holds live in the seats table, so that a sale is written under the hold's own condition. */
  readonly inDatabase: boolean;
}

export interface BookingRepository {
  /**
   * Turns held seats into a reservation, in one transaction. Returns null, having written nothing,
   * when a seat is no longer held by the session (or already sold).
   */
  confirm(b: {
    eventId: string;
    sessionId: string;
    seatIds: readonly string[];
    /** The sold rows as the reservation shows them: named seats, and places counted per area. */
    shown: Pick<Reservation, 'seatIDs' | 'places'>;
    orderId: string;
    reservationId: string;
    customerId: string;
    chargeId: string;
    now: Date;
    requireHold: boolean;
    /**
     * The request's Idempotency-Key, if it has one: the sale's answer is stored under it in the sale's own
     * transaction, so that a retry after a crash between the two replays the sale instead of finding
     * the seats sold.
     */
    idempotencyKey?: string;
  }): Promise<Reservation | null>;
  listForEvent(eventId: string): Promise<(Reservation & { order: Order })[]>;
  get(reservationId: string): Promise<(Reservation & { order: Order }) | null>;
  /**
   * Cancels a confirmed reservation whose charge was refunded, in one transaction: reservation
   * cancelled, order refunded, seats released and on sale, their history and the webhook message
   * written. `changed` is false when it was already cancelled (nothing written).
   */
  cancel(c: {
    reservationId: string;
    refundId: string;
    now: Date;
  }): Promise<{ reservation: Reservation; order: Order; changed: boolean; released: string[] } | null>;
  /** The reservation's seats and places the database does not count as sold (for a repeated cancel). */
  unsold(reservationId: string): Promise<string[]>;
}

export interface SeatHistoryRepository {
  /** Sales and refunds of the event's seats (or of one seat), oldest first (in the order they were made). */
  list(eventId: string, seatId?: string): Promise<SeatChangeRecord[]>;
}

export interface WebhookRepository {
  create(w: {
    id: string;
    url: string;
    events: WebhookEventType[];
    secret: string;
    now: Date;
  }): Promise<void>;
  list(): Promise<WebhookInfo[]>;
  /** Marks it deleted and drops its pending deliveries; false when there was none. */
  remove(id: string, now: Date): Promise<boolean>;
  exists(id: string): Promise<boolean>;
  /** The newest attempts first. */
  attempts(webhookId: string, limit: number): Promise<DeliveryAttempt[]>;
}

/** A delivery a worker has claimed: what to send, where, and how it went so far. */
export interface ClaimedDelivery {
  messageId: string;
  webhookId: string;
  claim: string;
  url: string;
  secret: string;
  type: WebhookEventType;
  body: string;
  /** Attempts made before this one. */
  attempts: number;
  createdAt: Date;
}

export interface AttemptRecord {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  at: Date;
}

/** The webhook outbox as the delivery worker sees it. */
export interface OutboxRepository {
  /** Takes up to `limit` due deliveries nobody holds a live lease on, leasing them until `leaseUntil`. */
  claim(now: Date, leaseUntil: Date, limit: number, claim: string): Promise<ClaimedDelivery[]>;
  /** Logs an attempt and moves the delivery on (unless another worker took it over meanwhile). */
  record(
    d: ClaimedDelivery,
    attempt: AttemptRecord,
    next: { result: 'delivered' } | { result: 'failed' } | { result: 'retrying'; at: Date },
  ): Promise<void>;
  /**
   * Writes event.sold_out (once per sell-out) when the event has no seat left on sale; whether it did.
   * Run after a sale commits, so that the last sale to commit sees every seat sold.
   */
  markSoldOut(eventId: string, now: Date): Promise<boolean>;
  /** Events sold out but not yet told (a crash between a sale and its check); at most `limit`. */
  soldOutUntold(limit: number): Promise<string[]>;
  /** Drops the delivery log and finished messages older than `before`. */
  purge(before: Date): Promise<void>;
}

/** Sends one signed message to a webhook's URL. Never throws: a failure is its answer. */
export interface WebhookSender {
  send(req: {
    url: string;
    secret: string;
    messageId: string;
    body: string;
  }): Promise<{ statusCode: number | null; error: string | null }>;
}

/** Told after changes commit, so that their webhook messages go out now rather than at the next poll. */
export interface WebhookSignals {
  wake(): void;
  /** Seats of the event were sold: it may be sold out now. */
  sold(eventId: string): void;
}

export interface OrderRepository {
  createPending(o: {
    id: string;
    customerId: string;
    eventId: string;
    sessionId: string;
    amount: number;
    currency: string;
    now: Date;
  }): Promise<void>;
  markFailed(
    id: string,
    f: { reason: string; chargeId?: string; voided: boolean; now: Date },
  ): Promise<Order>;
  get(id: string): Promise<Order | null>;
  list(customerId?: string): Promise<Order[]>;
  /** Orders left pending (a crash between charge and commit), for the cleanup job to void. */
  stalePending(before: Date, limit: number): Promise<string[]>;
}

export type IdempotencyBegin =
  | { state: 'new' }
  | { state: 'replay'; statusCode: number; body: unknown }
  | { state: 'conflict' }
  | { state: 'pending' };

export interface IdempotencyRepository {
  begin(sessionId: string, key: string, requestHash: string, now: Date): Promise<IdempotencyBegin>;
  complete(sessionId: string, key: string, statusCode: number, body: unknown): Promise<void>;
  abandon(sessionId: string, key: string): Promise<void>;
}

export interface CleanupRepository {
  /** Each returns the seats it freed (at most `limit`), so that the live seat map can show them. */
  releaseExpired(now: Date, limit: number): Promise<string[]>;
  releaseDeadSessions(now: Date, limit: number): Promise<string[]>;
  purge(before: Date): Promise<void>;
}

/**
 * Seats whose public state may have changed. It carries no state and no session: whoever shows seats
 * re-reads them, so notices may arrive late, twice or out of order without a wrong seat on screen.
 */
export interface SeatChangeNotice {
  /** The seats' event, when the publisher knows it; listeners otherwise find it by seat. */
  eventId?: string;
  seatIds: string[];
  /** Some of the seats may have been freed (released, lapsed, refunded), not only taken. */
  freed?: true;
}

/** What the services tell after each change they commit. */
export interface SeatChanges {
  /** Fire and forget: never waits on, slows down or fails the booking that changed the seats. */
  publish(notice: SeatChangeNotice): void;
}

export interface SeatChangeListener {
  onNotice(notice: SeatChangeNotice): void;
  /** Notices may have been lost (the bus reconnected): re-read everything watched. */
  onGap(): void;
}

/** Carries notices to every instance: PostgreSQL LISTEN/NOTIFY, Redis pub/sub, or in-process. */
export interface SeatChangeBus extends SeatChanges {
  subscribe(listener: SeatChangeListener): () => void;
  close(): Promise<void>;
}
