import { mapLimit } from './client.js';

export interface BenchEvents {
  map: string;
  rush: string;
  steady: string[];
  /** 10,000-seat events in rows: `best` for best available, `ordinary` for plain locks beside it. */
  best: string[];
  ordinary: string[];
}

/** Prices vary by seat, so that "paid = price of the seats sold" checks something. */
const seatList = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `S${i + 1}`, price: 1500 + (i % 4) * 500 }));

export async function createEvent(
  origin: string,
  admin: string,
  name: string,
  seats: number | { rows: number; seatsPerRow: number; price: number },
): Promise<string> {
  const res = await fetch(`${origin}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({
      name,
      currency: 'EUR',
      ...(typeof seats === 'number' ? { seats: seatList(seats) } : { layout: seats }),
    }),
  });
  const body = (await res.json()) as { eventID?: string };
  if (res.status !== 201 || !body.eventID) {
    throw new Error(`POST /api/events answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return body.eventID;
}

export async function createBenchEvents(
  origin: string,
  admin: string,
  p: {
    mapSeats: number;
    rushSeats: number;
    steadyEvents: number;
    steadySeatsPerEvent: number;
    bestEvents: number;
  },
): Promise<BenchEvents> {
  const map = await createEvent(origin, admin, 'Seat map (bench)', p.mapSeats);
  const rush = await createEvent(origin, admin, 'On-sale rush (bench)', p.rushSeats);
  const steady = await mapLimit(
    Array.from({ length: p.steadyEvents }, (_, i) => i),
    4,
    (i) => createEvent(origin, admin, `Steady ${i + 1} (bench)`, p.steadySeatsPerEvent),
  );
  const rows = { rows: 100, seatsPerRow: 100, price: 2500 };
  const tenK = (kind: string) =>
    mapLimit(
      Array.from({ length: p.bestEvents }, (_, i) => i),
      2,
      (i) => createEvent(origin, admin, `${kind} ${i + 1} (bench)`, rows),
    );
  return { map, rush, steady, best: await tenK('Best available'), ordinary: await tenK('Rows') };
}
