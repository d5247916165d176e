/** The seat reservation API as the page uses it: one session per browser tab, errors as ApiError. */

export type SeatStatus = 'available' | 'locked' | 'confirmed';

export interface EventSummary {
  eventID: string;
  name: string;
  currency: string;
  seatCount: number;
  availableCount: number;
  /** Present when the event has a waiting room. */
  waitingRoom?: { opensAt: string };
}

export interface Seat {
  seatID: string;
  name: string;
  status: SeatStatus;
  price: number;
  lockUntil: string | null;
  lockedByMe: boolean;
  /** Seats of a venue only. */
  section?: string;
  row?: string;
  number?: number;
  category?: string;
  accessible?: boolean;
}

export interface Category {
  key: string;
  label: string;
  price: number;
}

/** A standing area: places are sold by count. */
export interface Area {
  areaID: string;
  name: string;
  category: string;
  price: number;
  capacity: number;
  available: number;
}

export interface Places {
  areaID: string;
  quantity: number;
}

export interface Hold {
  eventID: string;
  seatIDs: string[];
  lockUntil: string;
  /** Standing places this session holds in the event, where the event has areas. */
  places?: Places[];
}

export interface SeatMapData {
  eventID: string;
  currency: string;
  seats: Seat[];
  categories?: Category[];
  areas?: Area[];
}

export interface SeatUpdate {
  seatID: string;
  status: SeatStatus;
  lockUntil: string | null;
}

export interface Order {
  orderID: string;
  customerID: string;
  amount: number;
  currency: string;
  status: 'paid' | 'failed' | 'pending' | 'refunded';
}

export interface Reservation {
  reservationID: string;
  eventID: string;
  seatIDs: string[];
  places?: Places[];
  orderID: string;
  status: 'confirmed' | 'cancelled';
}

/** An error answer of the API (`code` as in the contract), or `NETWORK` when there was no answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

// Per tab, not per browser: two tabs are two customers, which is what a demo of the live map needs.
const SESSION_KEY = 'seat-reservation-session';

export function session(): string | null {
  return sessionStorage.getItem(SESSION_KEY);
}

export async function call<T>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const sid = session();
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(sid && { 'x-session-id': sid }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The service could not be reached.');
  }
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: handled below */
  }
  if (!res.ok) {
    const err = (data ?? {}) as { error?: string; message?: string } & Record<string, unknown>;
    throw new ApiError(res.status, err.error ?? 'HTTP_' + res.status, err.message ?? res.statusText, err);
  }
  return data as T;
}

async function startSession(): Promise<void> {
  sessionStorage.removeItem(SESSION_KEY);
  const { sessionID } = await call<{ sessionID: string }>('POST', '/api/sessions');
  sessionStorage.setItem(SESSION_KEY, sessionID);
}

/** A call that needs a session: starts one when there is none, or when the old one has run out. */
export async function withSession<T>(fn: () => Promise<T>): Promise<T> {
  if (!session()) await startSession();
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 'SESSION_REQUIRED')) throw e;
    await startSession();
    return fn();
  }
}

export const api = {
  events: () => call<{ events: EventSummary[] }>('GET', '/api/events'),
  seats: (eventID: string) => call<SeatMapData>('GET', `/api/seats/${encodeURIComponent(eventID)}`),
  /** Seats and standing places in one all-or-nothing hold; empty lists are left out of the request. */
  lock: (eventID: string, seatIDs: string[], places: Places[] = []) =>
    withSession(() =>
      call<Hold>('POST', '/api/lock', {
        eventID,
        ...(seatIDs.length > 0 && { seatIDs }),
        ...(places.length > 0 && { places }),
      }),
    ),
  best: (eventID: string, quantity: number, category?: string) =>
    withSession(() =>
      call<Hold & { chosen: string[] }>('POST', '/api/lock/best', {
        eventID,
        quantity,
        ...(category && { category }),
      }),
    ),
  release: (eventID: string) =>
    withSession(() => call<{ released: string[] }>('POST', '/api/cancel-lock', { eventID })),
  customer: (name: string) => call<{ customerID: string; name: string }>('POST', '/api/customers', { name }),
  confirm: (eventID: string, customerID: string, token: string, idempotencyKey: string) =>
    withSession(() =>
      call<{ reservation: Reservation; order: Order }>(
        'POST',
        '/api/confirm',
        { eventID, customerID, payment: { token } },
        { 'idempotency-key': idempotencyKey },
      ),
    ),
  streamUrl: (eventID: string) => `/api/events/${encodeURIComponent(eventID)}/stream`,
};
