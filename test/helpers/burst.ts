import { ADMIN_TOKEN } from './app.js';
import { request } from './http.js';
import type { ServerProcess } from './server-process.js';

/**
 * On a running service: an event of `seats` seats, each held by its own session, then every confirm
 * at once, and `kill -9` as soon as the first three are answered, so that the kill lands in the middle
 * of the burst. Returns the event and, per confirm, the reservation it was answered with (null: no 201).
 */
export async function confirmBurstThenKill(
  server: ServerProcess,
  seats: number,
): Promise<{ eventID: string; answers: (string | null)[] }> {
  const { base } = server;
  const ev = await request(base, 'POST', '/api/events', {
    admin: ADMIN_TOKEN,
    body: { name: 'Crash', currency: 'EUR', layout: { rows: 1, seatsPerRow: seats, price: 700 } },
  });
  const eventID = ev.body.eventID as string;
  const seatIDs = (await request(base, 'GET', `/api/seats/${eventID}`)).body.seats.map((s: any) => s.seatID);
  const customerID = (await request(base, 'POST', '/api/customers', { body: { name: 'C' } })).body.customerID;
  const buyers = await Promise.all(
    seatIDs.map(async (seat: string) => {
      const sid = (await request(base, 'POST', '/api/sessions')).body.sessionID;
      await request(base, 'POST', '/api/lock', { session: sid, body: { eventID, seatIDs: [seat] } });
      return sid as string;
    }),
  );
  let answered = 0;
  let firstAnswers: () => void = () => undefined;
  const someAnswered = new Promise<void>((r) => (firstAnswers = r));
  const burst = buyers.map((sid) =>
    request(base, 'POST', '/api/confirm', {
      session: sid,
      body: { eventID, customerID, payment: { token: 'tok_ok' } },
    }).then(
      (r) => {
        if (r.status === 201 && ++answered >= 3) firstAnswers();
        return r.status === 201 ? (r.body.reservation.reservationID as string) : null;
      },
      () => null,
    ),
  );
  await Promise.race([someAnswered, new Promise((r) => setTimeout(r, 5000))]);
  server.child.kill('SIGKILL');
  const answers = await Promise.all(burst);
  await server.exited;
  return { eventID, answers };
}
