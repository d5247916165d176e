import type { QueueSettings } from '../domain/queue.js';
import type { SeatChangeBus } from './ports.js';
import type { QueueStore } from './queue-ports.js';

/** "An event's waiting room changed", between instances. */
export interface QueueNotices {
  publish(eventId: string): void;
  /** `eventId` undefined: notices may have been lost, anything may have changed. */
  subscribe(onChange: (eventId?: string) => void): () => void;
}

/**
 * Queue notices ride the seat change bus (PostgreSQL NOTIFY, Redis pub/sub, or in-process) as a
 * notice that names the event itself among its changed IDs. Seat viewers find no seat of that ID and
 * ignore it; the seat map of the event is rebuilt once, which is cheap and rare (an admin's change).
 */
export function queueNoticesOver(bus: Pick<SeatChangeBus, 'publish' | 'subscribe'>): QueueNotices {
  return {
    publish: (eventId) => bus.publish({ eventId, seatIds: [eventId] }),
    subscribe: (onChange) =>
      bus.subscribe({
        onNotice: (n) => {
          if (n.eventId !== undefined && n.seatIds.includes(n.eventId)) onChange(n.eventId);
        },
        onGap: () => onChange(),
      }),
  };
}

export type QueueList = ReadonlyMap<string, QueueSettings>;

/**
 * Which events have a waiting room, known in this process so that the lock path asks nothing for the
 * others. Read at start, again on every notice of a change (made here: at once; on another instance:
 * as soon as its notice arrives) and every `refreshMs` should a notice ever be lost. So an instance
 * may miss a queue just put or removed elsewhere for at most `refreshMs` (5 s), about a millisecond
 * when the bus works.
 */
export class QueueRegistry {
  private queues: QueueList = new Map();
  private readonly listeners = new Set<(queues: QueueList) => void>();
  private refreshing: Promise<void> | undefined;
  private again = false;
  // Counts the changes made here: a read that began before one of them is stale and is not applied.
  private changes = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly deps: { store: QueueStore; notices: QueueNotices; onError: (e: unknown) => void },
    private readonly refreshMs = 5000,
  ) {}

  /** Whether the list was read at least once (a store down at start: not yet, and reads are retried). */
  loaded = false;

  async start(): Promise<void> {
    await this.refresh();
    this.unsubscribe = this.deps.notices.subscribe(() => void this.refresh());
    this.timer = setInterval(() => void this.refresh(), this.refreshMs).unref();
  }

  has(eventId: string): boolean {
    return this.queues.has(eventId);
  }

  get(eventId: string): QueueSettings | undefined {
    return this.queues.get(eventId);
  }

  onChange(listener: (queues: QueueList) => void): void {
    this.listeners.add(listener);
  }

  /** After a change made on this instance: known here at once, and told to the others. */
  changed(eventId: string, settings: QueueSettings | null): void {
    const next = new Map(this.queues);
    if (settings) next.set(eventId, settings);
    else next.delete(eventId);
    this.changes++;
    this.update(next);
    this.deps.notices.publish(eventId);
  }

  /** Reads the list again; calls made while a read runs share one more read after it. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        await this.load().catch((e: unknown) => this.deps.onError(e));
      } while (this.again);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  private async load(): Promise<void> {
    const seen = this.changes;
    const queues = await this.deps.store.list();
    // A change made here while the list was read: the list may predate it, so read it again.
    if (seen !== this.changes) {
      this.again = true;
      return;
    }
    this.update(queues);
    this.loaded = true;
  }

  private update(queues: QueueList): void {
    this.queues = queues;
    for (const listener of this.listeners) listener(queues);
  }
}
