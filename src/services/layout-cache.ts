import type { EventInfo } from '../domain/types.js';
import type { SeatLayout } from './ports.js';

export interface EventLayout {
  event: EventInfo;
  seats: readonly SeatLayout[];
}

/**
 * Events and their seat layouts never change once created, so every instance may keep the ones it
 * serves: a seat map then reads only what does change (sales and holds). Bounded, oldest out first.
 */
export class LayoutCache {
  private readonly entries = new Map<string, Promise<EventLayout | null>>();

  constructor(private readonly max = 100) {}

  get(eventId: string, load: () => Promise<EventLayout | null>): Promise<EventLayout | null> {
    const hit = this.entries.get(eventId);
    if (hit) return hit;
    const loading = load().then(
      (layout) => {
        if (!layout) this.entries.delete(eventId); // unknown events are not remembered
        return layout;
      },
      (e: unknown) => {
        this.entries.delete(eventId);
        throw e;
      },
    );
    this.entries.set(eventId, loading);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return loading;
  }
}
