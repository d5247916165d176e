import type { Clock } from './ports.js';

export interface Alert {
  /** Alerts with one key are one problem: repeated within the quiet period, they are counted, not sent. */
  key: string;
  text: string;
}

export interface AlertChannel {
  post(text: string): Promise<void>;
}

export interface AlerterOptions {
  quietMs: number;
  /** A cap over all keys, so that an outage that breaks everything sends a few messages, not thousands. */
  maxPerWindow: number;
  windowMs: number;
}

const DEFAULTS: AlerterOptions = { quietMs: 5 * 60_000, maxPerWindow: 10, windowMs: 10 * 60_000 };

/** Deduplicates and rate-limits alerts; a failed post is reported to `onError`, never thrown at the caller. */
export class Alerter {
  private readonly lastSent = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();
  private sentTimes: number[] = [];
  private readonly opts: AlerterOptions;

  constructor(
    private readonly channel: AlertChannel | null,
    private readonly clock: Clock,
    opts: Partial<AlerterOptions> = {},
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  /** Returns whether a message went out. */
  async raise(alert: Alert): Promise<boolean> {
    if (!this.channel) return false;
    const now = this.clock.now().getTime();
    const last = this.lastSent.get(alert.key);
    this.sentTimes = this.sentTimes.filter((t) => now - t < this.opts.windowMs);
    if (
      (last !== undefined && now - last < this.opts.quietMs) ||
      this.sentTimes.length >= this.opts.maxPerWindow
    ) {
      this.suppressed.set(alert.key, (this.suppressed.get(alert.key) ?? 0) + 1);
      return false;
    }
    const repeats = this.suppressed.get(alert.key) ?? 0;
    this.suppressed.delete(alert.key);
    this.lastSent.set(alert.key, now);
    this.sentTimes.push(now);
    const suffix = repeats > 0 ? ` (${repeats} more like this since the last message)` : '';
    try {
      await this.channel.post(`${alert.text}${suffix}`);
      return true;
    } catch (e) {
      this.onError(e);
      return false;
    }
  }
}

/** Counts occurrences in a sliding window: "a burst of 5xx", "failing repeatedly". */
export class BurstCounter {
  private times: number[] = [];
  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  /** Records one occurrence; true when the window now holds at least `threshold` of them. */
  hit(): boolean {
    const now = this.clock.now().getTime();
    this.times = this.times.filter((t) => now - t < this.windowMs);
    this.times.push(now);
    return this.times.length >= this.threshold;
  }

  reset(): void {
    this.times = [];
  }
}
