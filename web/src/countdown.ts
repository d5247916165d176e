import { countdown } from './format';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** The hold's countdown: shown while something is held, a warning a minute before, then the end. */
export class HoldCountdown {
  private timer: number | undefined;
  private warned = false;
  private until: string | null = null;

  constructor(private readonly on: { warn(): void; expired(): void }) {}

  /** A new deadline: warn again before it. */
  renew(): void {
    this.warned = false;
  }

  /** Shows the time left to `until` (null: nothing held); calls `expired` once it has run out. */
  show(until: string | null): void {
    this.until = until;
    if (until !== null && this.timer === undefined) this.timer = window.setInterval(() => this.tick(), 1000);
    this.tick();
  }

  stop(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const until = this.until;
    const left = until ? (Date.parse(until) - Date.now()) / 1000 : 0;
    $('countdown').hidden = until === null;
    if (until !== null && left > 0) {
      $('countdown-time').textContent = countdown(left);
      if (left <= 60 && !this.warned) {
        this.warned = true;
        this.on.warn();
      }
      return;
    }
    this.stop();
    if (until !== null) this.on.expired();
  }
}
