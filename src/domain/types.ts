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
  orderID: string;
  status: ReservationStatus;
}

export interface NewSeat {
  name: string;
  price: number;
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
