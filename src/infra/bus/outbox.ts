import type { SeatChangeNotice } from '../../services/ports.js';
import { seatNotice } from './codec.js';

export interface OutboxOptions {
  /** Sends payloads, all or nothing. */
  send(payloads: string[]): Promise<void>;
  /** All the notices of a batch, as payloads. */
  encode(notices: SeatChangeNotice[]): string[];
  onError(e: unknown): void;
  retryMs?: number;
  /** Seats waiting to be told, at most; past it new notices are dropped (and the viewers' periodic re-read heals). */
  maxPending?: number;
  /** How long a batch waits for more notices before it is sent (0: at once). */
  lingerMs?: number;
}

// An on-sale's thousands of locks a second then go out as a hundred messages a second (each one work
// for the bus and for every listening instance), where a person watching a seat map cannot tell.
const LINGER_MS = 10;

/**
 * Notices waiting to go out on the bus. A batch waits a few milliseconds for more, notices merge by
 * event (also while a send is in flight; freed if any of them was), and a batch goes out as few payloads
 * as fit, so a burst of bookings becomes a few messages; a failed send is retried. The bookings that
 * published never wait.
 */
export class Outbox {
  private pending = new Map<string | undefined, { seats: Set<string>; freed: boolean }>();
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
    let merged = this.pending.get(notice.eventId);
    if (!merged) this.pending.set(notice.eventId, (merged = { seats: new Set(), freed: false }));
    merged.freed ||= notice.freed === true;
    const { seats } = merged;
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
      const linger = this.o.lingerMs ?? LINGER_MS;
      if (linger > 0 && !this.closed) await new Promise((r) => setTimeout(r, linger));
      const batch = this.pending;
      this.pending = new Map();
      this.size = 0;
      const notices = [...batch].map(([eventId, { seats, freed }]) => seatNotice(eventId, [...seats], freed));
      const payloads = this.o.encode(notices);
      try {
        await this.o.send(payloads);
      } catch (e) {
        this.o.onError(e);
        if (this.closed) return;
        for (const notice of notices) this.push(notice);
        await new Promise((r) => setTimeout(r, this.o.retryMs ?? 1000).unref());
      }
    }
  }
}
