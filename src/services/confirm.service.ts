import { randomUUID } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import type { HoldCheck } from '../domain/seat-rules.js';
import type { Order, Reservation, Session } from '../domain/types.js';
import { isUuid } from '../domain/validation.js';
import { presentHeld, type EventLayout, type LayoutCache } from './layout-cache.js';
import type {
  BookingRepository,
  Clock,
  CustomerRepository,
  EventRepository,
  HoldStore,
  OrderRepository,
  PaymentGateway,
  SeatChanges,
  SeatRepository,
  Telemetry,
  WebhookSignals,
} from './ports.js';

export interface ConfirmInput {
  eventID: string;
  customerID: string;
  seatIDs?: string[];
  payment: { token: string };
}

export type ConfirmOutcome =
  | { status: 201; body: { reservation: Reservation; order: Order } }
  | { status: 402; body: { error: 'PAYMENT_FAILED'; message: string; order: Order } };

export interface ConfirmDeps {
  holds: HoldStore;
  seats: SeatRepository;
  events: EventRepository;
  customers: CustomerRepository;
  orders: OrderRepository;
  bookings: BookingRepository;
  payments: PaymentGateway;
  clock: Clock;
  changes: SeatChanges;
  telemetry: Telemetry;
  layouts: LayoutCache;
  webhooks: WebhookSignals;
}

/** Checks the hold, charges, then writes seats, order and reservation in one transaction. */
export class ConfirmService {
  constructor(private readonly deps: ConfirmDeps) {}

  /** `idempotencyKey`: the request's key, under which the sale's own transaction stores its answer. */
  async confirm(session: Session, input: ConfirmInput, idempotencyKey?: string): Promise<ConfirmOutcome> {
    const { deps } = this;
    const layout = await this.layout(input.eventID);
    const { event } = layout;
    if (!isUuid(input.customerID) || !(await deps.customers.exists(input.customerID))) {
      throw new DomainError('NOT_FOUND', 'Unknown customer.');
    }
    const seatIds = input.seatIDs ?? (await deps.holds.heldBy(session.id, event.id));
    const amount = await this.price(event.id, seatIds);
    raise(await deps.holds.check(session.id, event.id, seatIds, deps.clock.now()));

    // The order exists before the charge, so a crash in between leaves a pending order for recovery to void.
    const orderId = randomUUID();
    const base = { customerId: input.customerID, eventId: event.id, sessionId: session.id, amount };
    await deps.orders.createPending({
      id: orderId,
      ...base,
      currency: event.currency,
      now: deps.clock.now(),
    });
    const charge = await this.charge(orderId, amount, event.currency, input.payment.token);
    if (!charge.ok) {
      const order = await deps.orders.markFailed(orderId, {
        reason: 'declined',
        voided: false,
        now: deps.clock.now(),
      });
      deps.webhooks.wake();
      return { status: 402, body: { error: 'PAYMENT_FAILED', message: 'The payment was declined.', order } };
    }

    const reservation = await deps.bookings.confirm({
      eventId: event.id,
      sessionId: session.id,
      seatIds,
      shown: presentHeld(layout, seatIds),
      orderId,
      reservationId: randomUUID(),
      customerId: input.customerID,
      chargeId: charge.chargeId,
      now: deps.clock.now(),
      requireHold: deps.holds.inDatabase,
      ...(idempotencyKey !== undefined && { idempotencyKey }),
    });
    if (!reservation) return this.holdLost(session, event.id, seatIds, orderId, charge.chargeId);
    await deps.holds.forget(session.id, event.id, seatIds);
    deps.changes.publish({ eventId: event.id, seatIds: [...seatIds] });
    deps.webhooks.sold(event.id);
    const order: Order = {
      orderID: orderId,
      customerID: input.customerID,
      amount,
      currency: event.currency,
      status: 'paid',
    };
    return { status: 201, body: { reservation, order } };
  }

  private async layout(eventId: string): Promise<EventLayout> {
    // From the per-instance layout cache: an event never changes once created, so no query per confirm.
    const layout = isUuid(eventId) ? await this.deps.layouts.get(eventId) : null;
    if (!layout) throw new DomainError('NOT_FOUND', 'Unknown event.');
    return layout;
  }

  private async price(eventId: string, seatIds: readonly string[]): Promise<number> {
    if (seatIds.length === 0)
      throw new DomainError('NOT_LOCKED', 'This session holds no seats in this event.', { seatIDs: [] });
    const records = await this.deps.seats.find(eventId, seatIds.filter(isUuid));
    const known = new Set(records.map((s) => s.id));
    const unknown = seatIds.filter((id) => !known.has(id));
    if (unknown.length > 0)
      throw new DomainError('VALIDATION_ERROR', 'Some seats are not in this event.', { unknown });
    return records.reduce((sum, s) => sum + s.price, 0);
  }

  /** The hold ran out (or a parallel confirm won) between the check and the write: give the money back. */
  private async holdLost(
    session: Session,
    eventId: string,
    seatIds: readonly string[],
    orderId: string,
    chargeId: string,
  ): Promise<never> {
    const { deps } = this;
    await deps.payments.void(orderId);
    deps.telemetry.chargeVoided('hold_lost');
    await deps.orders.markFailed(orderId, {
      reason: 'hold_lost',
      chargeId,
      voided: true,
      now: deps.clock.now(),
    });
    deps.webhooks.wake();
    const recheck = await deps.holds.check(session.id, eventId, seatIds, deps.clock.now());
    raise(recheck.kind === 'ok' ? { kind: 'expired', seatIDs: [...seatIds] } : recheck);
    throw new DomainError('LOCK_EXPIRED', undefined, { seatIDs: seatIds });
  }

  private async charge(orderId: string, amount: number, currency: string, token: string) {
    try {
      return await this.deps.payments.charge({ reference: orderId, amount, currency, token });
    } catch {
      // We cannot tell whether money moved: void by reference to be sure, and let the client retry.
      await this.deps.payments.void(orderId).catch(() => undefined);
      this.deps.telemetry.chargeVoided('gateway_error');
      await this.deps.orders.markFailed(orderId, {
        reason: 'gateway_error',
        voided: true,
        now: this.deps.clock.now(),
      });
      this.deps.webhooks.wake();
      throw new DomainError('SERVICE_UNAVAILABLE', 'The payment provider is unavailable: retry shortly.');
    }
  }
}

function raise(check: HoldCheck): void {
  if (check.kind === 'not-locked') throw new DomainError('NOT_LOCKED', undefined, { seatIDs: check.seatIDs });
  if (check.kind === 'expired') throw new DomainError('LOCK_EXPIRED', undefined, { seatIDs: check.seatIDs });
}
