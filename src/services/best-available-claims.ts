/**
 * Seats that this instance's best-available requests picked in one event, until every read of the event
 * can be sure to see them. Without this, concurrent requests that read the event at the same moment would
 * all pick the same best block and all but one would lose the lock and try again. Correctness never
 * depends on it (the lock is all or nothing); it only keeps a rush from racing for one block.
 *
 * A pick excludes seats claimed by a request still locking them, and seats won after the pick's read
 * began (that read may have missed them). Won seats are let go once no read older than the win is open.
 */
export class Claims {
  private tick = 0;
  /** Claims whose locks are under way: their seats, and when they will be settled (won or lost). */
  private readonly underWay = new Map<object, { seats: readonly string[]; settled: Promise<void> }>();
  /** Won claims in the order they were won (ticks rise), until every open read sees them. */
  private won: { at: number; seats: readonly string[] }[] = [];
  /** Open reads: the tick at which each began, with how many began then. */
  private readonly reads = new Map<number, number>();

  /**
   * Starts a read of the event's seats (or joins one that began at `began`, a `now()` taken earlier): the
   * wins after it stay listed (`wonSince`) until it ends. `pending()` resolves when the locks under way
   * are settled, won or lost (null: none).
   */
  beginRead(began = this.tick): { pending(): Promise<unknown> | null; end(): void } {
    this.reads.set(began, (this.reads.get(began) ?? 0) + 1);
    let open = true;
    return {
      pending: () =>
        this.underWay.size > 0 ? Promise.all([...this.underWay.values()].map((c) => c.settled)) : null,
      end: () => {
        if (!open) return;
        open = false;
        const left = this.reads.get(began)! - 1;
        if (left > 0) this.reads.set(began, left);
        else this.reads.delete(began);
        this.forgetSeen();
      },
    };
  }

  /** The seats of locks under way: no pick may choose them. */
  claimedSeats(): string[] {
    const seats: string[] = [];
    for (const claim of this.underWay.values()) for (const id of claim.seats) seats.push(id);
    return seats;
  }

  /**
   * Hands `apply` the seats of each win after tick `since` (a read open since then has them all), and
   * returns the tick they go up to: the next call from there hands only newer ones.
   */
  wonSince(since: number, apply: (seats: readonly string[]) => void): number {
    let i = this.won.length;
    while (i > 0 && this.won[i - 1]!.at > since) i--;
    for (; i < this.won.length; i++) apply(this.won[i]!.seats);
    return this.tick;
  }

  /** Where reads begin now: a read shared by later requests keeps the tick its query started at. */
  now(): number {
    return this.tick;
  }

  /** Claims the seats while they are being locked; then `won()` or `lost()`. */
  claim(seatIds: readonly string[]): { won(): void; lost(): void } {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const key = {};
    this.underWay.set(key, { seats: seatIds, settled });
    return {
      won: () => {
        this.underWay.delete(key);
        this.won.push({ at: ++this.tick, seats: seatIds });
        settle();
        this.forgetSeen();
      },
      lost: () => {
        this.underWay.delete(key);
        settle();
      },
    };
  }

  /** Wins every open read began after: those reads (and all later ones) see them held. */
  private forgetSeen(): void {
    let oldest = this.tick;
    for (const began of this.reads.keys()) oldest = Math.min(oldest, began);
    let seen = 0;
    while (seen < this.won.length && this.won[seen]!.at <= oldest) seen++;
    if (seen > 0) this.won = this.won.slice(seen);
  }
}
