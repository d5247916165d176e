import { DomainError } from '../domain/errors.js';
import { idSource, parseEventId, StreamLog } from '../domain/seat-feed.js';
import type { Clock, SeatChangeBus, SeatChangeNotice } from './ports.js';
import type { PublicSeats } from './public-seats.js';
import { EventChannel, type FeedSink } from './seat-feed-channel.js';

export interface SeatFeedOptions {
  /** Messages kept per event for viewers that reconnect, by count and by JSON bytes. */
  logEntries: number;
  logBytes: number;
  /** How far before a resumed ID messages are replayed (see StreamLog). */
  replayMarginMs: number;
  /** How long an event with no viewers stays watched, so that a quick reconnect can resume. */
  lingerMs: number;
  /** Every watched event is re-read this often, a safety net should a notice ever be lost. */
  resyncMs: number;
  /** After a failed read, the next try. */
  retryMs: number;
}

export const DEFAULT_FEED_OPTIONS: SeatFeedOptions = {
  logEntries: 1000,
  logBytes: 1024 * 1024,
  replayMarginMs: 5000,
  lingerMs: 30_000,
  resyncMs: 60_000,
  retryMs: 1000,
};

export interface SeatFeedDeps {
  bus: Pick<SeatChangeBus, 'subscribe'>;
  seats: PublicSeats;
  clock: Clock;
  onError?: (e: unknown) => void;
}

/**
 * The live seat map of this instance: one channel per event that someone watches. Bookings never
 * wait on it: services publish a notice and go on; viewers get their messages from here.
 */
export class SeatFeed {
  private readonly channels = new Map<string, EventChannel>();
  private readonly opts: SeatFeedOptions;
  private readonly nextId: () => number;
  private unsubscribe: (() => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private lastResync = Date.now();

  constructor(
    private readonly deps: SeatFeedDeps,
    opts: Partial<SeatFeedOptions> = {},
  ) {
    this.opts = { ...DEFAULT_FEED_OPTIONS, ...opts };
    this.nextId = idSource(() => deps.clock.now().getTime());
  }

  start(): void {
    this.unsubscribe = this.deps.bus.subscribe({
      onNotice: (n) => this.route(n),
      onGap: () => this.channels.forEach((c) => c.notice()),
    });
    const every = Math.min(this.opts.lingerMs, this.opts.resyncMs, 10_000);
    this.sweeper = setInterval(() => this.sweep(), every).unref();
  }

  /**
   * Subscribes `sink` to an event's messages; returns the unsubscribe. `lastEventId` is the
   * `Last-Event-ID` a reconnecting viewer sends. Throws NOT_FOUND for an unknown event.
   */
  async open(eventId: string, lastEventId: string | undefined, sink: FeedSink): Promise<() => void> {
    if (!this.channels.has(eventId) && !(await this.deps.seats.exists(eventId)))
      throw new DomainError('NOT_FOUND', 'Unknown event.');
    const channel = this.channel(eventId);
    channel.attach(sink, parseEventId(lastEventId));
    return () => channel.detach(sink);
  }

  stats(): { events: number; viewers: number } {
    let viewers = 0;
    for (const c of this.channels.values()) viewers += c.viewers;
    return { events: this.channels.size, viewers };
  }

  close(): void {
    this.unsubscribe?.();
    clearInterval(this.sweeper);
    for (const c of this.channels.values()) c.close();
    this.channels.clear();
  }

  private channel(eventId: string): EventChannel {
    let channel = this.channels.get(eventId);
    if (!channel) {
      const now = () => this.deps.clock.now().getTime();
      channel = new EventChannel({
        eventId,
        read: (seatIds) => this.deps.seats.read(eventId, seatIds),
        nextId: this.nextId,
        now,
        log: new StreamLog(this.nextId(), {
          maxEntries: this.opts.logEntries,
          maxBytes: this.opts.logBytes,
          replayMarginIds: this.opts.replayMarginMs * 1000,
        }),
        onError: (e) => this.deps.onError?.(e),
        retryMs: this.opts.retryMs,
      });
      this.channels.set(eventId, channel);
    }
    return channel;
  }

  private route(notice: SeatChangeNotice): void {
    if (notice.eventId !== undefined) {
      this.channels.get(notice.eventId)?.notice(notice.seatIds);
      return;
    }
    // A release across events (a logout, the cleanup job): each channel picks its own seats.
    for (const channel of this.channels.values()) {
      const mine = notice.seatIds.filter((id) => channel.mayOwn(id));
      if (mine.length > 0) channel.notice(mine);
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [eventId, channel] of this.channels) {
      if (channel.idleSince !== undefined && now - channel.idleSince >= this.opts.lingerMs) {
        channel.close();
        this.channels.delete(eventId);
      }
    }
    if (now - this.lastResync >= this.opts.resyncMs) {
      this.lastResync = now;
      for (const channel of this.channels.values()) channel.notice();
    }
  }
}
