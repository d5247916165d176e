/**
 * A small reference model of the seat rules, for model-based fuzzing: what every answer should be,
 * derived from the contract alone, not from the service's code.
 */
export const LOCK_TTL = 60_000;
export const SESSION_TTL = 300_000;
export const MAX_SEATS = 3;
/**
 * Each hold ends at most this long after it began, however often it is refreshed (MAX_HOLD_SECONDS):
 * short, so that a refresh 30 s into a hold already meets it.
 */
export const HOLD_CAP = 80_000;

export interface ModelSeat {
  confirmed: boolean;
  holder: number | null; // session index; kept after expiry until released, swept or taken over
  until: number;
}

export interface ModelSession {
  ended: boolean;
  expiresAt: number;
}

export type Expected =
  | { status: 200; seats: number[]; chosen?: number[] }
  | { status: 409; code: 'SEATS_UNAVAILABLE'; soldOut: true }
  | { status: 201 | 204 | 402 }
  | { status: 400 | 401 | 422 }
  | { status: 409; code: 'SEATS_UNAVAILABLE'; seats: number[] }
  | { status: 409; code: 'NO_SEATS_TOGETHER' }
  | { status: 409; code: 'NOT_LOCKED' | 'LOCK_EXPIRED' | 'NOT_LOCKED_OR_EXPIRED' }
  | { status: 200; released: number[] };

/**
 * Units are the event's seats (0 … seatCount - 1, in the seat map's order) and then the places of its one
 * standing area, in the order a lock picks free places (by ID): a place is held and sold as a seat is.
 */
export class Model {
  now = 0;
  seats: ModelSeat[];
  sessions: ModelSession[] = [];
  /** When each session's current hold began (for the hold cap). */
  began: number[] = [];
  /**
   * Whose expired hold the cleanup job swept from each seat. Holds kept in Redis stay on record until
   * their key expires in wall time, so a confirm may still call such a seat LOCK_EXPIRED there.
   */
  lapsed: (number | null)[];

  constructor(
    readonly seatCount: number,
    readonly placeCount = 0,
  ) {
    this.seats = Array.from({ length: seatCount + placeCount }, () => ({
      confirmed: false,
      holder: null,
      until: 0,
    }));
    this.lapsed = this.seats.map(() => null);
  }

  private isLapsed(i: number, s: number): boolean {
    return this.lapsed[i] === s && this.seats[i]!.holder === null && !this.seats[i]!.confirmed;
  }

  private live(s: number): boolean {
    const session = this.sessions[s]!;
    return !session.ended && session.expiresAt > this.now;
  }

  /** Live session: the request moves its expiry. */
  private touch(s: number): boolean {
    if (!this.live(s)) return false;
    this.sessions[s]!.expiresAt = this.now + SESSION_TTL;
    return true;
  }

  private heldLive(i: number, s: number): boolean {
    const seat = this.seats[i]!;
    return !seat.confirmed && seat.holder === s && seat.until > this.now;
  }

  private free(i: number) {
    this.seats[i] = { ...this.seats[i]!, holder: null, until: 0 };
  }

  newSession(): void {
    this.sessions.push({ ended: false, expiresAt: this.now + SESSION_TTL });
  }

  lock(s: number, wanted: number[], places = 0): Expected {
    if (!this.touch(s)) return { status: 401 };
    if (wanted.length + places > MAX_SEATS) return { status: 422 };
    const blocked = wanted.filter((i) => {
      const seat = this.seats[i]!;
      return seat.confirmed || (seat.holder !== s && seat.holder !== null && seat.until > this.now);
    });
    if (blocked.length > 0) return { status: 409, code: 'SEATS_UNAVAILABLE', seats: blocked };
    // Places: the first free ones (not sold, not held in time by anyone, this session included).
    const picked = this.seats
      .map((_, i) => i)
      .filter((i) => i >= this.seatCount && this.isFree(i))
      .slice(0, places);
    if (picked.length < places) return { status: 409, code: 'SEATS_UNAVAILABLE', soldOut: true };
    const holding = this.seats.some((_, i) => this.heldLive(i, s));
    const after = this.seats
      .map((_, i) => i)
      .filter((i) => wanted.includes(i) || picked.includes(i) || this.heldLive(i, s));
    if (after.length > MAX_SEATS) return { status: 422 };
    // The session's lapsed holds in the event are let go: one deadline for all it holds, capped.
    if (!holding) this.began[s] = this.now;
    const until = Math.min(this.now + LOCK_TTL, this.began[s]! + HOLD_CAP);
    this.seats.forEach((seat, i) => seat.holder === s && !after.includes(i) && this.free(i));
    this.lapsed = this.lapsed.map((owner, i) => (owner === s || after.includes(i) ? null : owner));
    for (const i of after) this.seats[i] = { confirmed: false, holder: s, until };
    return { status: 200, seats: after };
  }

  private isFree(i: number): boolean {
    const seat = this.seats[i]!;
    return !seat.confirmed && !(seat.holder !== null && seat.until > this.now);
  }

  /** Best available in the model's one row of seats: the block the contract calls best, then a lock. */
  best(s: number, quantity: number): Expected {
    if (!this.touch(s)) return { status: 401 };
    if (quantity > MAX_SEATS) return { status: 400 };
    // Held by anyone, this session included, is not free: best available only adds seats.
    const free = this.seats.slice(0, this.seatCount).map((_, i) => this.isFree(i));
    const chosen = bestBlock(free, quantity);
    if (!chosen) return { status: 409, code: 'NO_SEATS_TOGETHER' };
    const locked = this.lock(s, chosen);
    return locked.status === 200 && 'seats' in locked ? { ...locked, chosen } : locked;
  }

  cancel(s: number, listed?: number[]): Expected {
    if (!this.touch(s)) return { status: 401 };
    const targets = this.seats
      .map((_, i) => i)
      .filter((i) => this.seats[i]!.holder === s && (!listed || listed.includes(i)));
    const released = targets.filter((i) => this.heldLive(i, s));
    for (const i of targets) this.free(i);
    return { status: 200, released };
  }

  confirm(s: number, listed: number[] | undefined, declined: boolean): Expected {
    if (!this.touch(s)) return { status: 401 };
    const targets =
      listed ??
      this.seats
        .map((_, i) => i)
        .filter((i) => (this.seats[i]!.holder === s && !this.seats[i]!.confirmed) || this.isLapsed(i, s));
    if (targets.length === 0) return { status: 409, code: 'NOT_LOCKED' };
    const notMine = (i: number) =>
      this.seats[i]!.confirmed || (this.seats[i]!.holder !== s && !this.isLapsed(i, s));
    if (targets.some(notMine)) return { status: 409, code: 'NOT_LOCKED' };
    // An expired hold still on record is LOCK_EXPIRED; once swept it is NOT_LOCKED. Either is right.
    if (targets.some((i) => this.isLapsed(i, s) || this.seats[i]!.until <= this.now))
      return { status: 409, code: 'NOT_LOCKED_OR_EXPIRED' };
    if (declined) return { status: 402 };
    for (const i of targets) {
      this.seats[i] = { confirmed: true, holder: null, until: 0 };
      this.lapsed[i] = null;
    }
    return { status: 201 };
  }

  logout(s: number): Expected {
    if (!this.touch(s)) return { status: 401 };
    this.sessions[s]!.ended = true;
    this.seats.forEach((seat, i) => seat.holder === s && this.free(i));
    return { status: 204 };
  }

  cleanup(): void {
    this.seats.forEach((seat, i) => {
      if (seat.holder === null || (seat.until > this.now && this.live(seat.holder))) return;
      if (seat.until <= this.now) this.lapsed[i] = seat.holder;
      this.free(i);
    });
  }

  /** Places of the area that can be held now. */
  available(): number {
    return this.seats.filter((_, i) => i >= this.seatCount && this.isFree(i)).length;
  }

  /** What the public seat map should show for the seats. */
  view(): { status: string; lockUntil: number | null }[] {
    return this.seats.slice(0, this.seatCount).map((seat) => {
      if (seat.confirmed) return { status: 'confirmed', lockUntil: null };
      if (seat.holder !== null && seat.until > this.now) return { status: 'locked', lockUntil: seat.until };
      return { status: 'available', lockUntil: null };
    });
  }
}

/**
 * The contract's best block in one row: avoid leaving a single free seat alone beside the block (before
 * a taken seat or the row's end) when some block can, then nearest the middle, then the leftmost.
 */
export function bestBlock(free: boolean[], quantity: number): number[] | null {
  const n = free.length;
  const lone = (i: number, away: number) => free[i] === true && free[i + away] !== true;
  const blocks = Array.from({ length: Math.max(0, n - quantity + 1) }, (_, start) => start)
    .filter((start) => free.slice(start, start + quantity).every(Boolean))
    .map((start) => ({
      start,
      strands: lone(start - 1, -1) || lone(start + quantity, +1),
      offMiddle: Math.abs(2 * start + quantity - n),
    }));
  const avoid = blocks.some((b) => !b.strands);
  const fair = blocks.filter((b) => !(avoid && b.strands));
  const nearest = Math.min(...fair.map((b) => b.offMiddle));
  const pick = fair.find((b) => b.offMiddle === nearest);
  return pick ? Array.from({ length: quantity }, (_, k) => pick.start + k) : null;
}
