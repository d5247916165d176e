import pg from 'pg';
import { ADMIN_TOKEN } from '../helpers/app.js';

/** A request that gave up waiting: a hang, as far as a client is concerned. */
export const HANG_MS = 20_000;

export interface Answer {
  method: string;
  path: string;
  base: string;
  /** HTTP status, or `network` when no answer came back (refused, reset, timed out). */
  status: number | 'network';
  body: any;
  retryAfter: string | null;
  error?: string;
  /** When it was sent and how long it took, in ms since the epoch and ms. */
  at: number;
  ms: number;
}

/** One HTTP request with its timing; never throws. */
export async function send(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; session?: string; admin?: boolean; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.session) headers['x-session-id'] = opts.session;
  if (opts.admin) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  const at = Date.now();
  try {
    const res = await fetch(base + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(HANG_MS),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep the text */
    }
    return {
      method,
      path,
      base,
      status: res.status,
      body,
      retryAfter: res.headers.get('retry-after'),
      at,
      ms: Date.now() - at,
    };
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const error = cause?.code ?? cause?.message ?? (e as Error).name;
    return {
      method,
      path,
      base,
      status: 'network',
      body: undefined,
      retryAfter: null,
      error,
      at,
      ms: Date.now() - at,
    };
  }
}

/** Must succeed (a set-up step): returns the body or throws with the answer. */
export async function must(
  base: string,
  method: string,
  path: string,
  opts: Parameters<typeof send>[3] = {},
) {
  const a = await send(base, method, path, opts);
  if (a.status === 'network' || a.status >= 300)
    throw new Error(`${method} ${path} → ${a.status} ${JSON.stringify(a.body)} ${a.error ?? ''}`);
  return a.body;
}

/** An event whose seats have different prices, so "paid = price of the seats sold" means something. */
export async function createEvent(
  base: string,
  seats: number,
): Promise<{ eventID: string; seatIDs: string[] }> {
  const created = await must(base, 'POST', '/api/events', {
    admin: true,
    body: {
      name: 'Fault test',
      currency: 'EUR',
      seats: Array.from({ length: seats }, (_, i) => ({ name: `S${i + 1}`, price: 1000 + (i % 7) * 250 })),
    },
  });
  const listing = await must(base, 'GET', `/api/seats/${created.eventID}`);
  return { eventID: created.eventID, seatIDs: listing.seats.map((s: any) => s.seatID) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function shuffle<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** A confirm the service acknowledged with 201: what it promised. */
export interface Acknowledged {
  reservationID: string;
  orderID: string;
  seatIDs: string[];
  amount: number;
}

export const acknowledged = (a: Answer): Acknowledged => ({
  reservationID: a.body.reservation.reservationID,
  orderID: a.body.order.orderID,
  seatIDs: a.body.reservation.seatIDs,
  amount: a.body.order.amount,
});

export interface Consistency {
  confirmed: number;
  reserved: number;
  confirmedWithoutReservation: number;
  reservedNotConfirmed: number;
  paidWithoutReservation: number;
  reservationNotPaid: number;
  amountMismatch: number;
  paid: number;
  soldValue: number;
  pending: number;
  /** Acknowledged confirms that are not in the database exactly as answered. */
  missing: string[];
}

/** Reads the database directly: seats, reservations and orders must agree, and every 201 must be there. */
export async function consistency(
  databaseUrl: string,
  eventID: string,
  acks: Acknowledged[],
): Promise<Consistency> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const n = async (sql: string, params: unknown[] = [eventID]) =>
      Number((await c.query<{ n: string }>(sql, params)).rows[0]!.n);
    const result: Consistency = {
      confirmed: await n(`SELECT count(*) AS n FROM seats WHERE event_id = $1 AND status = 'confirmed'`),
      reserved: await n(
        `SELECT count(*) AS n FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id WHERE r.event_id = $1`,
      ),
      confirmedWithoutReservation: await n(
        `SELECT count(*) AS n FROM seats s WHERE s.event_id = $1 AND s.status = 'confirmed'
           AND NOT EXISTS (SELECT 1 FROM reservation_seats rs WHERE rs.seat_id = s.id)`,
      ),
      reservedNotConfirmed: await n(
        `SELECT count(*) AS n FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
          WHERE s.event_id = $1 AND s.status <> 'confirmed'`,
      ),
      paidWithoutReservation: await n(
        `SELECT count(*) AS n FROM orders o WHERE o.event_id = $1 AND o.status = 'paid'
           AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.order_id = o.id)`,
      ),
      reservationNotPaid: await n(
        `SELECT count(*) AS n FROM reservations r JOIN orders o ON o.id = r.order_id
          WHERE r.event_id = $1 AND o.status <> 'paid'`,
      ),
      amountMismatch: await n(
        `SELECT count(*) AS n FROM reservations r JOIN orders o ON o.id = r.order_id WHERE r.event_id = $1
           AND o.amount <> (SELECT coalesce(sum(s.price), 0) FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
                             WHERE rs.reservation_id = r.id)`,
      ),
      paid: await n(
        `SELECT coalesce(sum(amount), 0) AS n FROM orders WHERE event_id = $1 AND status = 'paid'`,
      ),
      soldValue: await n(
        `SELECT coalesce(sum(price), 0) AS n FROM seats WHERE event_id = $1 AND status = 'confirmed'`,
      ),
      pending: await n(`SELECT count(*) AS n FROM orders WHERE event_id = $1 AND status = 'pending'`),
      missing: [],
    };
    const { rows } = await c.query<{
      id: string;
      order_id: string;
      status: string;
      amount: number;
      seats: string[];
    }>(
      `SELECT r.id, r.order_id, o.status, o.amount,
              array(SELECT rs.seat_id::text FROM reservation_seats rs JOIN seats s ON s.id = rs.seat_id
                     WHERE rs.reservation_id = r.id AND s.status = 'confirmed' ORDER BY 1) AS seats
         FROM reservations r JOIN orders o ON o.id = r.order_id WHERE r.id = ANY($1::uuid[])`,
      [acks.map((a) => a.reservationID)],
    );
    const found = new Map(rows.map((r) => [r.id, r]));
    for (const a of acks) {
      const r = found.get(a.reservationID);
      const ok =
        r !== undefined &&
        r.order_id === a.orderID &&
        r.status === 'paid' &&
        r.amount === a.amount &&
        JSON.stringify(r.seats) === JSON.stringify([...a.seatIDs].sort());
      if (!ok) result.missing.push(a.reservationID);
    }
    return result;
  } finally {
    await c.end();
  }
}

/** The invariants every fault test ends with. */
export function invariantsHold(c: Consistency): Record<string, boolean> {
  return {
    'confirmed seats = reservation seats': c.confirmed === c.reserved,
    'no confirmed seat without a reservation': c.confirmedWithoutReservation === 0,
    'no reservation seat that is not confirmed': c.reservedNotConfirmed === 0,
    'no paid order without a reservation': c.paidWithoutReservation === 0,
    'every reservation has a paid order': c.reservationNotPaid === 0,
    'each order amount = its seats’ prices': c.amountMismatch === 0,
    'paid total = price of the seats sold': c.paid === c.soldValue,
    'every acknowledged confirm is in the database': c.missing.length === 0,
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Seats nobody in this test is buying right now: buyers take from it and give back what they did not buy. */
export class SeatPool {
  private readonly free: Set<string>;
  constructor(seatIDs: readonly string[]) {
    this.free = new Set(seatIDs);
  }
  take(n: number): string[] {
    const picked = shuffle([...this.free]).slice(0, n);
    for (const s of picked) this.free.delete(s);
    return picked;
  }
  giveBack(seats: readonly string[]): void {
    for (const s of seats) this.free.add(s);
  }
  get size(): number {
    return this.free.size;
  }
}

/** Every answer of a run, and the confirms it acknowledged. */
export class Recorder {
  readonly answers: Answer[] = [];
  readonly acks: Acknowledged[] = [];
  /** Logical requests whose retries ran out without a definite answer. */
  readonly undecided: Answer[] = [];
  record(a: Answer): Answer {
    this.answers.push(a);
    return a;
  }
  count(pred: (a: Answer) => boolean): number {
    return this.answers.filter(pred).length;
  }
}

/** A 503 or no answer at all: the client should try again (elsewhere, if it can). */
export const retryable = (a: Answer) => a.status === 'network' || a.status === 503;

export interface BuyerOptions {
  /** The instances to talk to right now; each attempt goes to the next one (round robin). */
  bases: () => readonly string[];
  eventID: string;
  customerID: string;
  pool: SeatPool;
  recorder: Recorder;
  /** Checked between purchases: false ends the loop. */
  running: () => boolean;
  /** How long one logical request may keep retrying 503s and connection errors. */
  retryForMs: number;
  /** Pause between retries. */
  backoffMs?: number;
  /** Stop retrying at once (say, every instance is dead and the test has failed already). */
  hopeless?: () => boolean;
}

/**
 * A customer who keeps buying: a session, a look at the seat map, a lock of one or two seats, then a confirm
 * with an Idempotency-Key (one in ten with a declined card). 503s and connection errors are retried with the
 * same key on the next instance, as a client behind a load balancer would; every attempt is recorded.
 */
export async function buyer(o: BuyerOptions): Promise<void> {
  let turn = Math.floor(Math.random() * 1000);
  const call = async (
    method: string,
    path: string,
    opts: Parameters<typeof send>[3] = {},
  ): Promise<Answer> => {
    const deadline = Date.now() + o.retryForMs;
    for (;;) {
      const bases = o.bases();
      const a = o.recorder.record(await send(bases[turn++ % bases.length]!, method, path, opts));
      if (!retryable(a)) return a;
      if (Date.now() > deadline || o.hopeless?.()) {
        o.recorder.undecided.push(a);
        return a;
      }
      await sleep(o.backoffMs ?? 100);
    }
  };
  let n = 0;
  while (o.running()) {
    n++;
    const session = await call('POST', '/api/sessions');
    if (session.status !== 201) continue;
    const sid: string = session.body.sessionID;
    await call('GET', `/api/seats/${o.eventID}`, { session: sid });
    const seats = o.pool.take(1 + (n % 2));
    if (seats.length === 0) {
      await sleep(50);
      continue;
    }
    const lock = await call('POST', '/api/lock', {
      session: sid,
      body: { eventID: o.eventID, seatIDs: seats },
    });
    if (lock.status !== 200) {
      o.pool.giveBack(seats);
      continue;
    }
    const token = n % 10 === 0 ? 'tok_chargeDeclined' : 'tok_visa';
    const confirm = await call('POST', '/api/confirm', {
      session: sid,
      headers: { 'idempotency-key': `buy-${n}` },
      body: { eventID: o.eventID, customerID: o.customerID, seatIDs: seats, payment: { token } },
    });
    if (confirm.status === 201) {
      o.recorder.acks.push(acknowledged(confirm));
      continue;
    }
    // Declined or lock lost: nothing was sold, the seats go back. Undecided: they may be sold; leave them.
    if (confirm.status === 402 || confirm.status === 409) {
      await call('POST', '/api/cancel-lock', { session: sid, body: { eventID: o.eventID } });
      o.pool.giveBack(seats);
    }
  }
}
