import type { SeatUpdate } from './api';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export const LIVE_WORDS: Record<LiveState, string> = {
  connecting: 'Connecting to live updates…',
  live: 'Live: seats change here as others book them.',
  reconnecting: 'Live updates interrupted: reconnecting…',
};

/**
 * The event's live stream. EventSource reconnects by itself and sends Last-Event-ID, so the server
 * replays what was missed (or sends a snapshot); all this adds is parsing and a visible state.
 */
export class LiveSeats {
  private source: EventSource | undefined;

  constructor(
    private readonly on: {
      seats(updates: SeatUpdate[]): void;
      areas(updates: { areaID: string; available: number }[]): void;
      state(state: LiveState): void;
    },
  ) {}

  open(url: string): void {
    this.close();
    this.on.state('connecting');
    const source = new EventSource(url);
    this.source = source;
    source.onopen = () => this.on.state('live');
    source.onerror = () => this.on.state('reconnecting');
    source.onmessage = (e: MessageEvent<string>) => {
      try {
        const data = JSON.parse(e.data) as {
          seats?: SeatUpdate[];
          areas?: { areaID: string; available: number }[];
        };
        if (Array.isArray(data.seats)) this.on.seats(data.seats);
        if (Array.isArray(data.areas)) this.on.areas(data.areas);
      } catch {
        /* a malformed message is skipped; the next snapshot or change corrects the map */
      }
    };
    // A stream the server closed for good (a 404 after an event vanished) is not retried by the
    // browser: try again later ourselves, so a map left open recovers after a deploy.
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED && this.source === source)
        setTimeout(() => this.source === source && this.open(url), 5000);
    });
  }

  close(): void {
    this.source?.close();
    this.source = undefined;
  }
}
