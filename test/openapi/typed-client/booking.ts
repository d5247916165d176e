// What a user's code does with a client generated from the OpenAPI document: openapi-typescript turns
// /openapi.json into api.d.ts (written by test/openapi/typed-client.test.ts, not kept in git), and
// openapi-fetch makes typed calls from it. That test type-checks this file with tsc, then runs it.
import createClient from 'openapi-fetch';
import type { paths } from './api.js';

export interface Booking {
  eventID: string;
  seatIDs: string[];
  reservationID: string;
  amount: number;
  status: 'paid' | 'failed' | 'pending' | 'refunded';
}

/** Creates an event (admin), then books two seats: session, lock, customer, confirm. */
export async function bookTwoSeats(baseUrl: string, adminToken: string): Promise<Booking> {
  const api = createClient<paths>({ baseUrl });

  const created = await api.POST('/api/events', {
    headers: { authorization: `Bearer ${adminToken}` },
    body: { name: 'Typed client', currency: 'EUR', layout: { rows: 1, seatsPerRow: 4, price: 2500 } },
  });
  if (!created.data) throw new Error(`create event: ${created.error?.error}`);
  const { eventID } = created.data;

  const session = await api.POST('/api/sessions');
  if (!session.data) throw new Error(`session: ${session.error?.error}`);
  const asSession = { 'x-session-id': session.data.sessionID };

  const map = await api.GET('/api/seats/{eventID}', { params: { path: { eventID } } });
  if (!map.data) throw new Error(`seat map: ${map.error?.error}`);
  const seatIDs = map.data.seats
    .filter((seat) => seat.status === 'available')
    .slice(0, 2)
    .map((seat) => seat.seatID);

  const lock = await api.POST('/api/lock', { headers: asSession, body: { eventID, seatIDs } });
  if (!lock.data) throw new Error(`lock: ${lock.error?.error}`);

  const customer = await api.POST('/api/customers', { body: { name: 'Ada Lovelace' } });
  if (!customer.data) throw new Error(`customer: ${customer.error?.error}`);

  const confirm = await api.POST('/api/confirm', {
    headers: asSession,
    params: { header: { 'idempotency-key': `typed-${eventID}` } },
    body: { eventID, customerID: customer.data.customerID, payment: { token: 'tok_visa' } },
  });
  if (!confirm.data) throw new Error(`confirm: ${confirm.error?.error}`);
  const { reservation, order } = confirm.data;
  return {
    eventID,
    seatIDs: reservation.seatIDs,
    reservationID: reservation.reservationID,
    amount: order.amount,
    status: order.status,
  };
}
