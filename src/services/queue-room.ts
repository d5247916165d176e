import {
  AdmissionMeter,
  orderFixed,
  queueView,
  type QueueEntry,
  type QueueSettings,
} from '../domain/queue.js';
import type { Clock } from './ports.js';
import type { QueueSnapshot, QueueStore } from './queue-ports.js';

/** One message of a queue stream: `data` is its JSON, made once however many viewers get it. */
export interface QueueMessage {
  id: number;
  data: string;
}

/** A waiting client's stream. Sending never blocks; a viewer that cannot keep up drops itself. */
export interface QueueViewer {
  tokenHash: Buffer;
  send(message: QueueMessage): void;
  /** Ends the stream so that the client comes back (which keeps its session alive). */
  renew(): void;
}

interface Watch {
  /** The viewer's rank once the order is fixed; its position is the rank minus those admitted. */
  rank: number | null;
  admitted: boolean;
  renewAt: number;
}

export interface RoomDeps {
  eventId: string;
  store: QueueStore;
  clock: Clock;
  instance: string;
  /** Sessions admitted by this instance's step, with how long each waited. */
  onAdmitted(eventId: string, waitedMs: number[]): void;
  /** The queue is gone (removed on some instance). */
  onGone(eventId: string): void;
  onError: (e: unknown) => void;
  /** Steps run on their own; tests turn this off and call step() with a manual clock. */
  timers: boolean;
  /** How long a stream stays open before the client is asked to come back. */
  renewMs: number;
}

// At most this many admitted viewers are looked up per step (each one read); the rest next step.
const MAX_LOOKUPS = 200;
// Progress goes out at most once a second: enough for a place in a queue, and a fifth of the writes
// a step every 200 ms would cost with thousands of viewers.
const PROGRESS_EVERY_MS = 1000;

/**
 * One event's waiting room on this instance: one timer, whatever the number of viewers. Each step
 * lets the admitter admit (only the instance holding the admitter lock does), reads where the queue
 * stands, and tells every viewer of this instance in one shared message ("admitted up to N"): each
 * client knows its own rank, so waiting clients never make the service read anything for them. A
 * viewer is read on its own only when it connects, when the order is drawn, and when admitted.
 */
export class QueueRoom {
  private readonly viewers = new Map<QueueViewer, Watch>();
  private readonly meter = new AdmissionMeter();
  private snapshot: QueueSnapshot;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private nextId = 1;
  private lastProgress = '';
  private lastProgressAt = 0;

  constructor(
    private readonly deps: RoomDeps,
    settings: QueueSettings,
  ) {
    this.snapshot = { settings, opened: false, admitted: 0, waiting: 0 };
    if (deps.timers) this.schedule();
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  get state(): QueueSnapshot {
    return this.snapshot;
  }

  /** Admissions per minute for estimates: as measured, else as configured. */
  perMinute(): number {
    return this.meter.perMinute() ?? this.snapshot.settings.admitPerMinute;
  }

  settings(settings: QueueSettings): void {
    this.snapshot = { ...this.snapshot, settings };
  }

  /** A viewer whose place was just read: it hears where it stands at once. */
  attach(viewer: QueueViewer, entry: QueueEntry, snapshot: QueueSnapshot): void {
    if (snapshot.admitted >= this.snapshot.admitted) this.snapshot = snapshot;
    const fixed = orderFixed(snapshot, snapshot.settings, this.deps.clock.now());
    const watch: Watch = {
      rank: fixed ? entry.rank : null,
      admitted: entry.admittedUntil !== null,
      // Spread out, so that a crowd that arrived together does not come back together.
      renewAt: this.deps.clock.now().getTime() + this.deps.renewMs * (0.75 + Math.random() / 2),
    };
    this.viewers.set(viewer, watch);
    viewer.send(this.message({ type: 'progress', ...this.progress() }));
    viewer.send(this.status(entry, snapshot, watch));
  }

  detach(viewer: QueueViewer): void {
    this.viewers.delete(viewer);
  }

  /** One step now (steps never overlap: this one runs after any under way). */
  step(): Promise<void> {
    const run = this.chain.then(() => this.stepOnce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer; `removed`: the queue is gone, so its viewers are told and let go. */
  close(removed = false): void {
    this.closed = true;
    clearTimeout(this.timer);
    const viewers = [...this.viewers.keys()];
    this.viewers.clear();
    if (!removed) return;
    const closed = this.message({ type: 'closed' });
    for (const viewer of viewers) {
      viewer.send(closed);
      viewer.renew();
    }
  }

  /** A step every 60 000 / rate ms, between 200 ms and a second, so admissions spread over the minute. */
  private schedule(): void {
    if (this.closed) return;
    const every = Math.min(1000, Math.max(200, 60_000 / this.snapshot.settings.admitPerMinute));
    this.timer = setTimeout(() => {
      this.step()
        .catch((e: unknown) => this.deps.onError(e))
        .finally(() => this.schedule());
    }, every).unref();
  }

  private async stepOnce(): Promise<void> {
    if (this.closed) return;
    const now = this.deps.clock.now();
    const step = await this.deps.store.step(this.deps.eventId, now, this.deps.instance);
    if (!step) return this.deps.onGone(this.deps.eventId);
    this.snapshot = step.snapshot;
    this.meter.add(now.getTime(), step.snapshot.admitted, step.snapshot.waiting);
    if (step.waitedMs.length > 0) this.deps.onAdmitted(this.deps.eventId, step.waitedMs);
    if (this.viewers.size === 0) return;
    if (orderFixed(this.snapshot, this.snapshot.settings, now)) await this.drawn();
    this.broadcast();
    await this.tellAdmitted();
    this.renewOld();
  }

  /** The order was just drawn: the viewers that connected before learn their ranks, in one read. */
  private async drawn(): Promise<void> {
    const unranked = [...this.viewers].filter(([, w]) => w.rank === null && !w.admitted);
    if (unranked.length === 0) return;
    const ranks = await this.deps.store.ranks(
      this.deps.eventId,
      unranked.map(([v]) => v.tokenHash),
    );
    for (const [viewer, watch] of unranked) {
      const rank = ranks.get(viewer.tokenHash.toString('hex'));
      if (rank === undefined || !this.viewers.has(viewer)) continue;
      watch.rank = rank;
      // One already admitted hears so next, from tellAdmitted().
      if (rank > this.snapshot.admitted)
        viewer.send(this.status({ rank, admittedUntil: null }, this.snapshot, watch));
    }
  }

  private progress() {
    const s = this.snapshot;
    return {
      opened: orderFixed(s, s.settings, this.deps.clock.now()),
      admitted: s.admitted,
      waiting: s.waiting,
      admitPerMinute: Math.round(this.perMinute() * 10) / 10,
    };
  }

  /** Where the queue stands, once for all viewers, and only when that changed. */
  private broadcast(): void {
    const now = this.deps.clock.now().getTime();
    if (now - this.lastProgressAt < PROGRESS_EVERY_MS) return;
    const progress = JSON.stringify({ type: 'progress', ...this.progress() });
    if (progress === this.lastProgress) return;
    this.lastProgress = progress;
    this.lastProgressAt = now;
    const message = { id: this.nextId++, data: progress };
    for (const viewer of [...this.viewers.keys()]) viewer.send(message);
  }

  /** Viewers whose rank the admissions have reached: their admission, with its deadline, read once. */
  private async tellAdmitted(): Promise<void> {
    const reached = [...this.viewers]
      .filter(([, w]) => !w.admitted && w.rank !== null && w.rank <= this.snapshot.admitted)
      .slice(0, MAX_LOOKUPS);
    for (const [viewer, watch] of reached) {
      const read = await this.deps.store.entry(this.deps.eventId, viewer.tokenHash);
      if (!read?.entry?.admittedUntil || !this.viewers.has(viewer)) continue;
      watch.admitted = true;
      viewer.send(this.status(read.entry, read.snapshot, watch));
    }
  }

  private renewOld(): void {
    const now = this.deps.clock.now().getTime();
    for (const [viewer, watch] of [...this.viewers]) if (now >= watch.renewAt) viewer.renew();
  }

  private status(entry: QueueEntry, snapshot: QueueSnapshot, watch: Watch): QueueMessage {
    const view = queueView(entry, snapshot, snapshot.settings, this.perMinute(), this.deps.clock.now());
    return this.message({ type: 'status', ...view, rank: watch.rank });
  }

  private message(body: object): QueueMessage {
    return { id: this.nextId++, data: JSON.stringify(body) };
  }
}
