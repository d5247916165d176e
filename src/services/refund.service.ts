import { DomainError } from '../domain/errors.js';
import type { Order, Reservation } from '../domain/types.js';
import { isUuid } from '../domain/validation.js';
import type {
  BookingRepository,
  Clock,
  HoldStore,
  PaymentGateway,
  RefundResult,
  SeatChanges,
  WebhookSignals,
} from './ports.js';

export interface RefundDeps {
  bookings: BookingRepository;
  payments: PaymentGateway;
  holds: HoldStore;
  changes: SeatChanges;
  clock: Clock;
  webhooks: WebhookSignals;
  /** A refund committed but its seats could not be put back in the hold store (Redis down). */
  onError?: (e: unknown) => void;
}

export interface Cancelled {
  reservation: Reservation;
  order: Order;
}

/**
 * Cancels a reservation: refund first, then one transaction puts everything back. A refund that fails
 * changes nothing (503); a repeat answers the same without refunding again.
 */
export class RefundService {
  constructor(private readonly deps: RefundDeps) {}

  async cancel(reservationId: string): Promise<Cancelled> {
    const { deps } = this;
    const found = isUuid(reservationId) ? await deps.bookings.get(reservationId) : null;
    if (!found) throw new DomainError('NOT_FOUND', 'Unknown reservation.');
    const { order, ...reservation } = found;
    if (reservation.status === 'cancelled') {
      // Done before: put back what the first time may have failed to (a hold store that was down).
      await this.putBack(reservation.eventID, await deps.bookings.unsold(reservationId));
      return { reservation, order };
    }
    const refund = await this.refund(order);
    const done = await deps.bookings.cancel({
      reservationId,
      refundId: refund.refundId,
      now: deps.clock.now(),
    });
    if (!done) throw new DomainError('NOT_FOUND', 'Unknown reservation.');
    // A cancel that lost a race to another one answers what the winner wrote; the winner puts back.
    if (done.changed) {
      await this.putBack(reservation.eventID, done.released);
      deps.webhooks.wake();
    }
    return { reservation: done.reservation, order: done.order };
  }

  /** Through the gateway, by order ID, so that a repeated refund is never paid out twice. */
  private async refund(order: Order): Promise<Extract<RefundResult, { ok: true }>> {
    let result: RefundResult;
    try {
      result = await this.deps.payments.refund({
        reference: order.orderID,
        amount: order.amount,
        currency: order.currency,
      });
    } catch {
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        'The payment provider could not be reached: nothing was refunded or changed. Retry shortly.',
      );
    }
    if (!result.ok)
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        'The payment provider refused the refund: nothing was changed.',
        { reason: result.reason },
      );
    return result;
  }

  /** The seats are on sale again in the database; the hold store and the live map are told after. */
  private async putBack(eventId: string, seatIds: readonly string[]): Promise<void> {
    if (seatIds.length === 0) return;
    try {
      await this.deps.holds.unsell(eventId, seatIds);
    } catch (e) {
      // Committed already: repeating the cancel puts them back. Until then a lock may refuse them.
      this.deps.onError?.(e);
    }
    this.deps.changes.publish({ eventId, seatIds: [...seatIds], freed: true });
  }
}
