import type { PlaceCount } from './places.js';
export type SeatStatus = 'available' | 'locked' | 'confirmed';
export type OrderStatus = 'pending' | 'paid' | 'failed' | 'refunded';
export type ReservationStatus = 'confirmed' | 'cancelled';

export interface Session {
  id: string;
  /** SHA-256 of the session token: how stores outside the database find the session. Never shown. */
  tokenHash: Buffer;
  expiresAt: Date;
}

export interface EventSummary {
  eventID: string;
  name: string;
  currency: string;
  seatCount: number;
  availableCount: number;
}

export interface EventInfo {
  id: string;
  name: string;
  currency: string;
}

export interface SeatView {
  seatID: string;
  name: string;
  status: SeatStatus;
  price: number;
  lockUntil: string | null;
  lockedByMe: boolean;
  /** Only on seats made from a venue (sections and rows). */
  section?: string;
  row?: string;
  number?: number;
  category?: string;
  accessible?: boolean;
}

export interface Order {
  orderID: string;
  customerID: string;
  amount: number;
  currency: string;
  status: OrderStatus;
}

export interface Reservation {
  reservationID: string;
  customerID: string;
  eventID: string;
  seatIDs: string[];
  /** Standing places sold, per area; absent when none. */
  places?: PlaceCount[];
  orderID: string;
  status: ReservationStatus;
}

/** Where a seat is and what it is sold as; all but name and price are absent for a plain seat list. */
export interface NewSeat {
  name: string;
  price: number;
  /** Set for seats made from a venue; a layout's rows have no section. */
  section?: string;
  row?: string;
  number?: number;
  category?: string;
  accessible?: boolean;
  /** Lower is better; given for every seat of a venue or for none. */
  rank?: number;
}

/** A price category of a venue: what its seats and standing places cost. */
export interface Category {
  key: string;
  label: string;
  price: number;
}

/** A standing (general admission) area, sold by count up to its capacity. */
export interface NewArea {
  name: string;
  category: string;
  price: number;
  capacity: number;
}

export interface Area extends NewArea {
  id: string;
}

/** One sale or refund of a seat, as its history shows it. */
export interface SeatChangeRecord {
  seatID: string;
  at: string;
  from: SeatStatus;
  to: SeatStatus;
  reason: 'sale' | 'refund';
}

/** What webhooks can be told about. */
export const WEBHOOK_EVENT_TYPES = [
  'reservation.confirmed',
  'reservation.cancelled',
  'order.failed',
  'payment.voided',
  'event.sold_out',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookInfo {
  webhookID: string;
  url: string;
  events: WebhookEventType[];
  createdAt: string;
}

/** One attempt to deliver a message to a webhook, for its delivery log. */
export interface DeliveryAttempt {
  messageID: string;
  eventType: WebhookEventType;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  result: 'delivered' | 'retrying' | 'failed';
  durationMs: number;
  at: string;
}
