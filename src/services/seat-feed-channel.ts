import {
  feedMessage,
  sameState,
  type AreaCount,
  type FeedMessage,
  type SeatChange,
  StreamLog,
} from '../domain/seat-feed.js';

/** Receives an event's messages, in order. It must not block: a viewer that cannot keep up drops itself. */
export type FeedSink = (message: FeedMessage) => void;

export interface ChannelDeps {
  eventId: string;
  read(seatIds?: readonly string[]): Promise<SeatChange[]>;
  nextId(): number;
  /** The service clock, in ms: holds run out by it. */
  now(): number;
  log: StreamLog;
  onError(e: unknown): void;
  retryMs: number;
}

// Timers fire a little after a deadline, so that the re-read is sure to see the hold as over.
const EXPIRY_SLACK_MS = 25;
// Never spin: a deadline the service clock has not reached (a test clock) is looked at again later.
const MIN_TIMER_MS = 250;
const MAX_TIMER_MS = 3_600_000;

/**
 * One event's live state on this instance. It learns which seats changed (from the bus, or from its
 * own timers when holds run out), re-reads them, and sends what really changed to its viewers. Reads
 * run one at a time, and notices that arrive meanwhile are merged into the next read, so a burst of
 * bookings costs a few reads, not one per booking, and no read overtakes a newer one.
 */
export class EventChannel {
  private readonly known = new Map<string, SeatChange>();
  /** Free places per standing area, kept as places are remembered: no message recounts them. */
  private readonly freePlaces = new Map<string, number>();
  private readonly deadlines = new Map<string, number>();
  private readonly live = new Set<FeedSink>();
  private readonly waiting = new Set<FeedSink>();
  private dirty = new Set<string>();
  private resync = true;
  private loaded = false;
  private running = false;
  private closed = false;
  private expiryTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private snapshot: FeedMessage | undefined;
  /** When the last viewer left, for the feed to let idle channels go. */
  idleSince: number | undefined;

  constructor(private readonly deps: ChannelDeps) {
    this.kick();
  }

  get viewers(): number {
    return this.live.size + this.waiting.size;
  }

  /**
   * Adds a viewer. One that last saw `lastSeen` gets what it missed from the log; any other gets a
   * snapshot first. Done in one synchronous step, so no message falls between the two.
   */
  attach(sink: FeedSink, lastSeen?: number): void {
    this.idleSince = undefined;
    const missed =
      this.loaded && lastSeen !== undefined ? this.deps.log.replay(lastSeen, this.deps.now() * 1000) : null;
    if (missed) {
      for (const m of missed) sink(m);
      this.live.add(sink);
    } else if (this.loaded) {
      sink(this.currentSnapshot());
      this.live.add(sink);
    } else {
      this.waiting.add(sink);
    }
  }

  detach(sink: FeedSink): void {
    this.live.delete(sink);
    this.waiting.delete(sink);
    if (this.viewers === 0) this.idleSince ??= Date.now();
  }

  /** Some seats may have changed; `undefined`: anything may have (a lost notice), so read everything. */
  notice(seatIds?: readonly string[]): void {
    if (!this.loaded || seatIds === undefined) this.resync = true;
    else for (const id of seatIds) if (this.known.has(id)) this.dirty.add(id);
    this.kick();
  }

  /** Whether a seat is this event's; before the first read nobody knows, so it might be. */
  mayOwn(seatId: string): boolean {
    return !this.loaded || this.known.has(seatId);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.expiryTimer);
    clearTimeout(this.retryTimer);
    this.live.clear();
    this.waiting.clear();
  }

  private kick(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.pump()
      .catch((e: unknown) => this.deps.onError(e))
      .finally(() => {
        this.running = false;
        // Work that came in as the loop ended; after a failed read the retry timer takes over.
        if (!this.retryTimer && (this.resync || this.dirty.size > 0)) this.kick();
      });
  }

  private async pump(): Promise<void> {
    while (!this.closed && (this.resync || this.dirty.size > 0)) {
      const full = this.resync;
      const ids = [...this.dirty];
      this.resync = false;
      this.dirty = new Set();
      let states: SeatChange[];
      try {
        states = await this.deps.read(full ? undefined : ids);
      } catch (e) {
        // The database or Redis is down: keep the viewers, and read everything once it is back.
        this.deps.onError(e);
        this.resync = true;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.deps.retryMs).unref();
        return;
      }
      if (this.closed) return;
      this.apply(states);
    }
  }

  private apply(states: SeatChange[]): void {
    if (!this.loaded) {
      for (const s of states) this.remember(s);
      this.loaded = true;
      const snapshot = this.currentSnapshot();
      for (const sink of this.waiting) {
        sink(snapshot);
        this.live.add(sink);
      }
      this.waiting.clear();
    } else {
      const changed = states.filter((s) => !sameState(this.known.get(s.seatID), s));
      if (changed.length > 0) this.emit(changed);
    }
    this.scheduleExpiry();
  }

  private emit(changed: SeatChange[]): void {
    for (const s of changed) this.remember(s);
    // Places changed: their areas' new counts.
    const areas = new Set(changed.flatMap((s) => (s.area === undefined ? [] : [s.area])));
    const message = feedMessage(
      this.deps.nextId(),
      this.deps.eventId,
      changed.filter((s) => s.area === undefined),
      this.areaCounts(areas),
    );
    this.deps.log.append(message);
    // A copy: a viewer that falls behind detaches itself while we are sending.
    for (const sink of [...this.live]) {
      try {
        sink(message);
      } catch (e) {
        this.deps.onError(e);
        this.detach(sink);
      }
    }
  }

  private remember(s: SeatChange): void {
    const before = this.known.get(s.seatID);
    this.known.set(s.seatID, s);
    if (s.area !== undefined) {
      const free = (s.status === 'available' ? 1 : 0) - (before?.status === 'available' ? 1 : 0);
      this.freePlaces.set(s.area, (this.freePlaces.get(s.area) ?? 0) + free);
    }
    if (s.status === 'locked' && s.lockUntil) this.deadlines.set(s.seatID, Date.parse(s.lockUntil));
    else this.deadlines.delete(s.seatID);
    this.snapshot = undefined;
  }

  /** All seats as of the newest message, labelled with its ID; made once per change, not per viewer. */
  private currentSnapshot(): FeedMessage {
    if (!this.snapshot) {
      const seats = [...this.known.values()].filter((s) => s.area === undefined);
      this.snapshot = feedMessage(this.deps.log.lastId, this.deps.eventId, seats, this.areaCounts());
    }
    return this.snapshot;
  }

  /** The free places of the given areas (all of them without a set), in the order they were first seen. */
  private areaCounts(only?: ReadonlySet<string>): AreaCount[] {
    return [...this.freePlaces]
      .filter(([areaID]) => !only || only.has(areaID))
      .map(([areaID, available]) => ({ areaID, available }));
  }

  /** One timer per event, at the earliest deadline: a hold that runs out is announced as free. */
  private scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (this.closed || this.deadlines.size === 0) return;
    let earliest = Infinity;
    for (const until of this.deadlines.values()) earliest = Math.min(earliest, until);
    const wait = Math.min(Math.max(earliest - this.deps.now() + EXPIRY_SLACK_MS, MIN_TIMER_MS), MAX_TIMER_MS);
    this.expiryTimer = setTimeout(() => this.expire(), wait).unref();
  }

  private expire(): void {
    const now = this.deps.now();
    const due = [...this.deadlines].filter(([, until]) => until <= now).map(([id]) => id);
    if (due.length > 0) this.notice(due);
    else this.scheduleExpiry();
  }
}
