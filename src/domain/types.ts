export type SeatStatus = 'available' | 'locked' | 'confirmed';
export type OrderStatus = 'pending' | 'paid' | 'failed';

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
  status: 'confirmed';
}

export interface NewSeat {
  name: string;
  price: number;
}
