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
  orderID: string;
  status: 'confirmed';
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
