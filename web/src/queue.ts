import './queue.css';
import { ApiError, call, session, withSession, type EventSummary } from './api';
import { clockTime, countdown } from './format';
import { humanMessage } from './messages';
import { QueueStream } from './queue-stream';

/** A session's place, as GET/POST /api/events/:eventID/queue answer it. */
export interface QueueStatus {
  state: 'waiting' | 'admitted';
  position: number | null;
  opensAt: string;
  admittedUntil: string | null;
  estimatedWaitSeconds: number | null;
}

type StreamMessage =
  | ({ type: 'status'; rank: number | null } & QueueStatus)
  | { type: 'progress'; opened: boolean; admitted: number; waiting: number; admitPerMinute: number }
  | { type: 'closed' };

const url = (eventID: string) => `/api/events/${encodeURIComponent(eventID)}/queue`;

const queueApi = {
  status: (eventID: string) => withSession(() => call<QueueStatus>('GET', url(eventID))),
  join: (eventID: string) => withSession(() => call<QueueStatus>('POST', url(eventID))),
};

/** "less than a minute", "about 4 minutes", "about 2 h 5 min". */
export function waitWords(seconds: number): string {
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} minute${minutes === 1 ? '' : 's'}`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "18:00" today, "Fri 1 May, 18:00" another day: when a queue opens. */
export function openingTime(iso: string): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (at.toDateString() === new Date().toDateString()) return time;
  return `${at.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' })}, ${time}`;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text = '') {
  const el = document.createElement(tag);
  el.className = className;
  el.textContent = text;
  return el;
}

/**
 * The waiting room in front of an event's seat map. An event without one opens at once. Otherwise the
 * visitor joins, sees their place and wait (live: the server sends where the queue stands, and this
 * page works out the position from its own rank), and goes straight to the seat map when admitted,
 * with the time left to hold seats counting down above it.
 */
export class WaitingRoom {
  private readonly room = element('section', 'queue');
  private readonly title = element('h2', 'queue-title');
  private readonly lead = element('p', 'queue-lead');
  private readonly place = element('p', 'queue-place');
  private readonly wait = element('p', 'queue-wait');
  private readonly joinButton = element('button', 'primary', 'Join the queue');
  private readonly note = element('p', 'help');
  private readonly banner = element('p', 'admission');
  private event: EventSummary | undefined;
  private stream: QueueStream | undefined;
  private rank: number | null = null;
  private until: string | null = null;
  private timer: number | undefined;

  constructor(
    private readonly ui: {
      /** Where the waiting room goes: before the event's seat map. */
      before: HTMLElement;
      open(event: EventSummary): Promise<void>;
      close(): void;
      status(text: string): void;
      error(text: string | null): void;
    },
  ) {
    this.room.setAttribute('aria-labelledby', 'queue-title');
    this.title.id = 'queue-title';
    this.joinButton.type = 'button';
    this.joinButton.addEventListener('click', () => void this.join());
    this.room.append(this.title, this.lead, this.place, this.wait, this.joinButton, this.note);
    this.banner.setAttribute('role', 'timer');
    this.room.hidden = true;
    this.banner.hidden = true;
    ui.before.before(this.room, this.banner);
  }

  /** Shows the event: its seat map when there is no queue or the visitor is admitted, else the queue. */
  async enter(event: EventSummary): Promise<void> {
    if (this.event?.eventID === event.eventID) return;
    this.leave();
    this.event = event;
    // No waiting room: straight to the seat map, without making a session just to ask.
    if (!event.waitingRoom) return this.ui.open(event);
    try {
      this.show(await queueApi.status(event.eventID));
    } catch (e) {
      if (this.event !== event) return;
      const room = e instanceof ApiError && e.code === 'NOT_FOUND' ? e.details.waitingRoom : undefined;
      if (room === false) await this.ui.open(event);
      else if (room === true) this.invite(event, String(e instanceof ApiError ? e.details.opensAt : ''));
      else this.ui.error(`The waiting room could not be loaded. ${humanMessage(e, (id) => id)}`);
    }
  }

  leave(): void {
    this.stream?.close();
    this.stream = undefined;
    window.clearInterval(this.timer);
    this.timer = undefined;
    this.event = undefined;
    this.rank = null;
    this.until = null;
    this.room.hidden = true;
    this.banner.hidden = true;
  }

  private invite(event: EventSummary, opensAt: string): void {
    this.ui.close();
    this.title.textContent = `${event.name}: waiting room`;
    this.lead.textContent = opensAt
      ? `This on-sale opens at ${openingTime(opensAt)}. Join the queue to get your place.`
      : 'This on-sale has a waiting room. Join the queue to get your place.';
    this.place.textContent = '';
    this.wait.textContent = '';
    this.note.textContent =
      'Everyone who joins before the opening gets a random place at that moment: there is no need to hurry or to reload.';
    this.joinButton.hidden = false;
    this.room.hidden = false;
  }

  private async join(): Promise<void> {
    const event = this.event;
    if (!event) return;
    this.joinButton.disabled = true;
    this.ui.error(null);
    try {
      const status = await queueApi.join(event.eventID);
      if (this.event !== event) return;
      this.ui.status('You are in the queue.');
      this.show(status);
    } catch (e) {
      this.ui.error(humanMessage(e, (id) => id));
    } finally {
      this.joinButton.disabled = false;
    }
  }

  private show(status: QueueStatus): void {
    const event = this.event;
    if (!event) return;
    if (status.state === 'admitted') return void this.admit(event, status.admittedUntil!);
    this.ui.close();
    this.joinButton.hidden = true;
    this.title.textContent = `${event.name}: waiting room`;
    this.room.hidden = false;
    this.render(status.position, status.estimatedWaitSeconds, status.opensAt);
    this.watch(event);
  }

  private render(position: number | null, waitSeconds: number | null, opensAt?: string): void {
    this.place.classList.toggle('time', position === null);
    if (position === null) {
      this.lead.textContent = "You're in the queue.";
      if (opensAt) this.place.textContent = `Opens at ${openingTime(opensAt)}`;
      this.wait.textContent = 'Your place is drawn at random then, among everyone who joined before.';
    } else {
      this.lead.textContent = "You're in the queue. Your place:";
      this.place.textContent = position.toLocaleString();
      this.wait.textContent = waitSeconds === null ? '' : `Estimated wait: ${waitWords(waitSeconds)}`;
    }
    this.note.textContent =
      'Keep this page open: the seat map opens by itself when it is your turn. Reloading keeps your place.';
  }

  private watch(event: EventSummary): void {
    if (this.stream) return;
    this.stream = new QueueStream(
      `${url(event.eventID)}/stream`,
      (): Record<string, string> => {
        const sid = session();
        return sid ? { 'x-session-id': sid } : {};
      },
      {
        message: (data) => this.message(event, data as StreamMessage),
        // The session ended or the room went away: look again from the start.
        refused: () => {
          this.leave();
          void this.enter(event);
        },
      },
    );
    this.stream.open();
  }

  private message(event: EventSummary, m: StreamMessage): void {
    if (this.event !== event) return;
    switch (m.type) {
      case 'status':
        this.rank = m.rank;
        this.show(m);
        break;
      case 'progress':
        if (this.rank === null || !m.opened) return;
        if (this.rank > m.admitted) {
          const position = this.rank - m.admitted;
          this.render(position, Math.ceil((position * 60) / m.admitPerMinute));
        }
        break;
      case 'closed':
        this.leave();
        this.event = event;
        void this.ui.open(event);
        break;
    }
  }

  /** Straight into the seat map, with the time left to hold seats counting down above it. */
  private async admit(event: EventSummary, until: string): Promise<void> {
    this.stream?.close();
    this.stream = undefined;
    this.room.hidden = true;
    this.until = until;
    this.tick();
    if (Date.parse(until) > Date.now())
      this.ui.status(`It is your turn: you have until ${clockTime(until)} to hold seats.`);
    this.timer = window.setInterval(() => this.tick(), 1000);
    await this.ui.open(event);
  }

  private tick(): void {
    if (!this.until) return;
    const left = (Date.parse(this.until) - Date.now()) / 1000;
    this.banner.hidden = false;
    this.banner.classList.toggle('over', left <= 0);
    if (left > 0) {
      this.banner.textContent = `Your turn: ${countdown(left)} left to hold seats.`;
      return;
    }
    this.banner.textContent =
      'Your turn has ended: you cannot hold more seats. Seats you already hold can still be paid for.';
    this.ui.status('Your turn has ended.');
    window.clearInterval(this.timer);
    this.timer = undefined;
  }
}
