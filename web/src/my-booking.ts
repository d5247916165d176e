import type { Order, Reservation } from './api';
import { money } from './format';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** A booking as this browser saw it at checkout: the API's answer plus the names shown to the buyer. */
export interface SavedBooking {
  reservation: Reservation;
  order: Order;
  eventName: string;
  seatNames: string;
  bookedAt: string;
}

// Kept in this browser (there is no customer login): the bookings made here, newest first.
const KEY = 'seat-reservation-bookings';
const KEEP = 20;

function saved(): SavedBooking[] {
  try {
    const list: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(list) ? (list as SavedBooking[]) : [];
  } catch {
    return [];
  }
}

export function saveBooking(booking: SavedBooking): void {
  const others = saved().filter((b) => b.reservation.reservationID !== booking.reservation.reservationID);
  try {
    localStorage.setItem(KEY, JSON.stringify([booking, ...others].slice(0, KEEP)));
  } catch {
    /* storage full or off: the receipt on screen still has everything */
  }
}

export const bookingLink = (reservationID: string) => `#booking=${reservationID}`;

export function bookingFromHash(hash: string): string | undefined {
  return /^#booking=([\w-]+)$/.exec(hash)?.[1];
}

const STATUS: Record<Reservation['status'], string> = {
  confirmed: 'Confirmed',
  cancelled: 'Cancelled',
};
const PAID: Record<Order['status'], string> = {
  paid: 'paid',
  refunded: 'refunded',
  failed: 'payment failed',
  pending: 'payment pending',
};

/** The "my booking" page: what was booked, its IDs (to quote to the box office), amount and status. */
export function showBooking(reservationID: string | undefined): void {
  const view = $('my-booking');
  view.hidden = reservationID === undefined;
  if (reservationID === undefined) return;
  const booking = saved().find((b) => b.reservation.reservationID === reservationID);
  $('my-booking-missing').hidden = booking !== undefined;
  $('my-booking-details').hidden = booking === undefined;
  if (booking) {
    const { reservation, order } = booking;
    $('my-booking-event').textContent = booking.eventName;
    $('my-booking-seats').textContent = booking.seatNames;
    $('my-booking-status').textContent = `${STATUS[reservation.status]}, ${PAID[order.status]}`;
    $('my-booking-amount').textContent = money(order.amount, order.currency);
    $('my-booking-reservation').textContent = reservation.reservationID;
    $('my-booking-order').textContent = order.orderID;
    $('my-booking-when').textContent = new Date(booking.bookedAt).toLocaleString();
    $<HTMLAnchorElement>('my-booking-back').href = `#event=${reservation.eventID}`;
  }
  $('my-booking-title').focus();
}
