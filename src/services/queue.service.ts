import { DomainError } from '../domain/errors.js';
import { queueView, type QueueSettings, type QueueView } from '../domain/queue.js';
import type { Session } from '../domain/types.js';
import { isUuid } from '../domain/validation.js';
import type { LayoutCache } from './layout-cache.js';
import type { Clock } from './ports.js';
import type { QueueSnapshot, QueueStore } from './queue-ports.js';
import type { QueueList, QueueRegistry } from './queue-registry.js';
import { QueueRoom, type QueueViewer } from './queue-room.js';

export interface QueueSettingsInput {
  opensAt: string;
  admitPerMinute: number;
  admissionSeconds: number;
}

export interface QueueServiceDeps {
  store: QueueStore;
  registry: QueueRegistry;
  layouts: LayoutCache;
  clock: Clock;
  /** A uniformly random place below 2^52 for a session joining before the opening (domain/queue.ts). */
  drawPlace(): number;
  /** This instance, for the admitter's lease. */
  instance: string;
  onError: (e: unknown) => void;
}

export interface QueueServiceOptions {
  timers: boolean;
  renewMs: number;
}

export type AdmittedListener = (eventId: string, waitedMs: number[]) => void;

/**
 * The on-sale waiting room: admins put an event behind a queue, sessions join it and follow their
 * place, and one room per queued event on every instance admits at the set rate (domain/queue.ts for
 * the rules, queue-room.ts for the timer, queue-gate.ts for the lock's side).
 */
export class QueueService {
  private readonly rooms = new Map<string, QueueRoom>();
  private readonly listeners = new Set<AdmittedListener>();

  constructor(
    private readonly deps: QueueServiceDeps,
    private readonly opts: QueueServiceOptions,
  ) {
    deps.registry.onChange((queues) => this.sync(queues));
  }

  async configure(eventId: string, input: QueueSettingsInput) {
    await this.event(eventId);
    const opensAt = new Date(input.opensAt);
    if (Number.isNaN(opensAt.getTime()))
      throw new DomainError('VALIDATION_ERROR', 'opensAt must be an ISO-8601 time.', { field: 'opensAt' });
    const settings: QueueSettings = {
      opensAt,
      admitPerMinute: input.admitPerMinute,
      admissionSeconds: input.admissionSeconds,
    };
    if ((await this.deps.store.put(eventId, settings, this.deps.clock.now())) === 'fixed')
      throw new DomainError(
        'VALIDATION_ERROR',
        'opensAt can no longer change: the queue has opened and its order is drawn.',
        { field: 'opensAt' },
      );
    this.deps.registry.changed(eventId, settings);
    return { eventID: eventId, ...input, opensAt: opensAt.toISOString() };
  }

  /** Removes the queue: the event is open to all again. Removing none is no error. */
  async remove(eventId: string): Promise<void> {
    await this.event(eventId);
    await this.deps.store.remove(eventId);
    this.deps.registry.changed(eventId, null);
  }

  /** Joins the queue (again: the same place) and says where the session stands. */
  async join(session: Session, eventId: string): Promise<QueueView> {
    await this.event(eventId);
    await this.deps.store.join(eventId, session.tokenHash, this.deps.clock.now(), this.deps.drawPlace());
    return this.status(session, eventId);
  }

  async status(session: Session, eventId: string): Promise<QueueView> {
    const { entry, snapshot } = await this.place(session.tokenHash, eventId);
    return queueView(
      entry,
      snapshot,
      snapshot.settings,
      this.perMinute(eventId, snapshot),
      this.deps.clock.now(),
    );
  }

  /** Streams the session's place to `viewer`; returns the detach. Throws as status() does. */
  async watch(session: Session, eventId: string, viewer: QueueViewer): Promise<() => void> {
    const { entry, snapshot } = await this.place(session.tokenHash, eventId);
    const room = this.room(eventId, snapshot.settings);
    room.attach(viewer, entry, snapshot);
    return () => room.detach(viewer);
  }

  /** One admission step of the event's room now (the timers do this on their own). */
  async step(eventId: string): Promise<QueueSnapshot | null> {
    const settings = this.deps.registry.get(eventId);
    if (!settings) return null;
    const room = this.room(eventId, settings);
    await room.step();
    return this.rooms.has(eventId) ? room.state : null;
  }

  /** Marks the events that have a waiting room (as this instance knows them: no read). */
  annotate<E extends { eventID: string }>(list: { events: E[] }) {
    return {
      events: list.events.map((e) => {
        const settings = this.deps.registry.get(e.eventID);
        return settings ? { ...e, waitingRoom: { opensAt: settings.opensAt.toISOString() } } : e;
      }),
    };
  }

  onAdmitted(listener: AdmittedListener): void {
    this.listeners.add(listener);
  }

  /** Where each queue stands as this instance last saw it, for metrics. */
  stats() {
    return [...this.rooms].map(([eventId, room]) => ({
      eventId,
      waiting: room.state.waiting,
      admitted: room.state.admitted,
      perMinute: room.perMinute(),
      viewers: room.viewerCount,
    }));
  }

  async close(): Promise<void> {
    const ids = [...this.rooms.keys()];
    for (const room of this.rooms.values()) room.close();
    this.rooms.clear();
    await Promise.all(
      ids.map((id) => this.deps.store.release(id, this.deps.instance).catch(() => undefined)),
    );
  }

  private async event(eventId: string): Promise<void> {
    if (!(isUuid(eventId) && (await this.deps.layouts.get(eventId))))
      throw new DomainError('NOT_FOUND', 'Unknown event.');
  }

  private async place(tokenHash: Buffer, eventId: string) {
    if (!isUuid(eventId)) throw new DomainError('NOT_FOUND', 'Unknown event.');
    const read = await this.deps.store.entry(eventId, tokenHash);
    if (!read) {
      await this.event(eventId);
      throw new DomainError('NOT_FOUND', 'This event has no waiting room.', { waitingRoom: false });
    }
    if (!read.entry)
      throw new DomainError('NOT_FOUND', 'This session has not joined the queue: join it with POST first.', {
        waitingRoom: true,
        opensAt: read.snapshot.settings.opensAt.toISOString(),
      });
    return { entry: read.entry, snapshot: read.snapshot };
  }

  private perMinute(eventId: string, snapshot: QueueSnapshot): number {
    return this.rooms.get(eventId)?.perMinute() ?? snapshot.settings.admitPerMinute;
  }

  private room(eventId: string, settings: QueueSettings): QueueRoom {
    let room = this.rooms.get(eventId);
    if (!room) {
      room = new QueueRoom(
        {
          eventId,
          store: this.deps.store,
          clock: this.deps.clock,
          instance: this.deps.instance,
          onAdmitted: (id, waited) => this.listeners.forEach((l) => l(id, waited)),
          onGone: () => void this.deps.registry.refresh(),
          onError: this.deps.onError,
          timers: this.opts.timers,
          renewMs: this.opts.renewMs,
        },
        settings,
      );
      this.rooms.set(eventId, room);
    }
    return room;
  }

  /** Every queued event has a room here (admissions go on without any viewer); removed ones close. */
  private sync(queues: QueueList): void {
    for (const [eventId, settings] of queues) {
      const room = this.rooms.get(eventId);
      if (room) room.settings(settings);
      else this.room(eventId, settings);
    }
    for (const [eventId, room] of this.rooms) {
      if (queues.has(eventId)) continue;
      room.close(true);
      this.rooms.delete(eventId);
    }
  }
}
