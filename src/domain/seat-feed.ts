import type { SeatStatus } from './types.js';

/**
 * A seat's public state as the live stream shows it: never who holds it. A standing place is tracked
 * the same way (`area` set) but never sent as a seat: viewers get its area's count of free places.
 */
export interface SeatChange {
  seatID: string;
  status: SeatStatus;
  lockUntil: string | null;
  area?: string;
}

/** How many places of a standing area are free, as the stream tells it. */
export interface AreaCount {
  areaID: string;
  available: number;
}

/** One message of an event's stream; `data` is its JSON, made once whatever the number of viewers. */
export interface FeedMessage {
  id: number;
  eventID: string;
  seats: SeatChange[];
  data: string;
}

export function feedMessage(
  id: number,
  eventID: string,
  seats: SeatChange[],
  areas: AreaCount[] = [],
): FeedMessage {
  const data = areas.length > 0 ? { eventID, seats, areas } : { eventID, seats };
  return { id, eventID, seats, data: JSON.stringify(data) };
}

export const sameState = (a: SeatChange | undefined, b: SeatChange): boolean =>
  a !== undefined && a.status === b.status && a.lockUntil === b.lockUntil;

/**
 * Stream IDs: epoch milliseconds × 1000 plus a counter, so they rise with time on every instance
 * (a viewer moving to another instance keeps comparable IDs) and strictly within one process even
 * when the clock stalls or steps back. 1000 IDs per ms before running ahead of the clock; far below
 * 2^53 until the year 2255.
 */
export function idSource(now: () => number): () => number {
  let last = 0;
  return () => {
    last = Math.max(last + 1, now() * 1000);
    return last;
  };
}

export interface StreamLogLimits {
  maxEntries: number;
  maxBytes: number;
  /**
   * How far before a resumed ID to replay. An ID from another instance may be a little ahead of this
   * one's view of the same change (clock skew, delivery lag); messages are absolute seat states, so
   * replaying a few seconds too many is harmless while one too few would lose a change.
   */
  replayMarginIds: number;
}

/**
 * The recent messages of one event, for viewers that reconnect with `Last-Event-ID`. Bounded by count
 * and bytes; a viewer whose ID is older than what is kept gets a snapshot instead.
 */
export class StreamLog {
  private readonly entries: FeedMessage[] = [];
  private bytes = 0;
  /** Every message after this ID is kept: the log's start, then the last one evicted. */
  private horizon: number;
  private last: number;

  constructor(
    startId: number,
    private readonly limits: StreamLogLimits,
  ) {
    this.horizon = startId;
    this.last = startId;
  }

  /** The ID of the newest message, or the start: what a snapshot taken now is labelled with. */
  get lastId(): number {
    return this.last;
  }

  append(m: FeedMessage): void {
    this.entries.push(m);
    this.bytes += m.data.length;
    this.last = m.id;
    while (
      this.entries.length > this.limits.maxEntries ||
      (this.bytes > this.limits.maxBytes && this.entries.length > 1)
    ) {
      const old = this.entries.shift()!;
      this.bytes -= old.data.length;
      this.horizon = old.id;
    }
  }

  /**
   * What a viewer that last saw `lastSeen` needs, oldest first; null when the log no longer reaches
   * back that far (or the ID is from the future), so the viewer needs a snapshot.
   */
  replay(lastSeen: number, nowId: number): FeedMessage[] | null {
    if (!Number.isSafeInteger(lastSeen) || lastSeen < this.horizon) return null;
    if (lastSeen > nowId + this.limits.replayMarginIds) return null;
    const from = lastSeen - this.limits.replayMarginIds;
    return this.entries.filter((m) => m.id > from);
  }
}

/** Parses a `Last-Event-ID` header: a decimal ID or nothing. */
export function parseEventId(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d{1,16}$/.test(raw.trim())) return undefined;
  return Number(raw.trim());
}
