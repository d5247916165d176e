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
  /** Seat → when its lock was won (Infinity while under way), and when it will be settled. */
  private readonly claimed = new Map<string, { at: number; settled: Promise<void> }>();
  /** Open reads: the tick at which each began, with how many began then. */
  private readonly reads = new Map<number, number>();

  /**
   * Starts a read of the event's seats (or joins one that began at `began`, a `now()` taken earlier).
   * `excluded()` lists the seats a pick on this read must leave out;
   * `pending()` resolves when the locks under way among them are settled, won or lost (null: none).
   */
  beginRead(began = this.tick): { excluded(): string[]; pending(): Promise<unknown> | null; end(): void } {
    this.reads.set(began, (this.reads.get(began) ?? 0) + 1);
    let open = true;
    return {
      excluded: () => [...this.claimed].filter(([, c]) => c.at > began).map(([id]) => id),
      pending: () => {
        const underWay = new Set([...this.claimed.values()].filter((c) => c.at === Infinity));
        return underWay.size > 0 ? Promise.all([...underWay].map((c) => c.settled)) : null;
      },
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

  /** Where reads begin now: a read shared by later requests keeps the tick its query started at. */
  now(): number {
    return this.tick;
  }

  /** Claims the seats while they are being locked; then `won()` or `lost()`. */
  claim(seatIds: readonly string[]): { won(): void; lost(): void } {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const claim = { at: Infinity, settled };
    for (const id of seatIds) this.claimed.set(id, claim);
    return {
      won: () => {
        claim.at = ++this.tick;
        settle();
        this.forgetSeen();
      },
      lost: () => {
        for (const id of seatIds) if (this.claimed.get(id) === claim) this.claimed.delete(id);
        settle();
      },
    };
  }

  /** Won seats every open read began after: those reads (and all later ones) see them held. */
  private forgetSeen(): void {
    let oldest = this.tick;
    for (const began of this.reads.keys()) oldest = Math.min(oldest, began);
    for (const [id, c] of this.claimed) if (c.at <= oldest) this.claimed.delete(id);
  }
}
