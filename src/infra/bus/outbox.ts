import type { SeatChangeNotice } from '../../services/ports.js';

export interface OutboxOptions {
  /** Sends payloads, all or nothing. */
  send(payloads: string[]): Promise<void>;
  encode(notice: SeatChangeNotice): string[];
  onError(e: unknown): void;
  retryMs?: number;
  /** Seats waiting to be told, at most; past it new notices are dropped (and the viewers' periodic re-read heals). */
  maxPending?: number;
}

/**
 * Notices waiting to go out on the bus. While one send is in flight the next notices merge by event,
 * so a burst of bookings becomes a few NOTIFYs, and a failed send is retried: the bookings that
 * published never wait for any of it.
 */
export class Outbox {
  private pending = new Map<string | undefined, Set<string>>();
  private size = 0;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly o: OutboxOptions) {}

  push(notice: SeatChangeNotice): void {
    if (this.closed) return;
    if (this.size + notice.seatIds.length > (this.o.maxPending ?? 100_000)) {
      this.o.onError(new Error('seat change outbox full: notice dropped'));
      return;
    }
    let seats = this.pending.get(notice.eventId);
    if (!seats) this.pending.set(notice.eventId, (seats = new Set()));
    for (const id of notice.seatIds) {
      if (!seats.has(id)) this.size++;
      seats.add(id);
    }
    this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
  }

  /** Sends what is pending, one last try, then stops. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
  }

  private async flush(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = this.pending;
      this.pending = new Map();
      this.size = 0;
      const payloads = [...batch].flatMap(([eventId, seats]) =>
        this.o.encode(eventId === undefined ? { seatIds: [...seats] } : { eventId, seatIds: [...seats] }),
      );
      try {
        await this.o.send(payloads);
      } catch (e) {
        this.o.onError(e);
        if (this.closed) return;
        for (const [eventId, seats] of batch) this.push({ eventId, seatIds: [...seats] });
        await new Promise((r) => setTimeout(r, this.o.retryMs ?? 1000).unref());
      }
    }
  }
}
