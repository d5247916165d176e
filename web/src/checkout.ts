import { api, type Order, type Reservation } from './api';
import { money } from './format';
import { bookingLink } from './my-booking';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function newKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
}

export type CheckoutResult =
  { kind: 'invalid'; message: string } | { kind: 'booked'; reservation: Reservation; order: Order };

/** The checkout form: who pays, with which test card; the API's errors are the caller's to word. */
export class Checkout {
  private customer: { name: string; customerID: string } | undefined;

  async pay(eventID: string): Promise<CheckoutResult> {
    const name = $<HTMLInputElement>('name').value.trim();
    const token = $<HTMLInputElement>('token').value.trim();
    if (!name || !token) {
      $<HTMLInputElement>(!name ? 'name' : 'token').focus();
      return {
        kind: 'invalid',
        message: !name ? 'Please enter your name.' : 'Please enter a card token, for example tok_visa.',
      };
    }
    if (this.customer?.name !== name) this.customer = await api.customer(name);
    // A new key per attempt: a retry after a decline is a new payment, not a replay of the old one.
    const { reservation, order } = await api.confirm(eventID, this.customer.customerID, token, newKey());
    return { kind: 'booked', reservation, order };
  }

  showReceipt(seatNames: string, reservation: Reservation, order: Order): string {
    const amount = money(order.amount, order.currency);
    $('receipt-seats').textContent = seatNames;
    $('receipt-reservation').textContent = reservation.reservationID;
    $('receipt-order').textContent = order.orderID;
    $('receipt-amount').textContent = `${amount}, paid`;
    $<HTMLAnchorElement>('receipt-link').href = bookingLink(reservation.reservationID);
    $('receipt').hidden = false;
    $('receipt-title').focus();
    return amount;
  }

  hideReceipt(): void {
    $('receipt').hidden = true;
  }
}
