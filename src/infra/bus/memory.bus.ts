import type { SeatChangeBus, SeatChangeListener, SeatChangeNotice } from '../../services/ports.js';

/** Listeners of this process, told on the next turn of the event loop (never inside the booking). */
export class LocalListeners {
  private readonly listeners = new Set<SeatChangeListener>();

  add(listener: SeatChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notice(notice: SeatChangeNotice): void {
    if (this.listeners.size === 0) return;
    const copy = { ...notice, seatIds: [...notice.seatIds] };
    setImmediate(() => this.listeners.forEach((l) => l.onNotice(copy)));
  }

  gap(): void {
    this.listeners.forEach((l) => l.onGap());
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** One instance (the embedded database): changes never need to leave the process. */
export function memoryBus(): SeatChangeBus {
  const local = new LocalListeners();
  return {
    publish: (notice) => local.notice(notice),
    subscribe: (listener) => local.add(listener),
    close: async () => local.clear(),
  };
}
