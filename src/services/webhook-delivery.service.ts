import { randomUUID } from 'node:crypto';
import type { WebhookEventType } from '../domain/types.js';
import type { ClaimedDelivery, Clock, OutboxRepository, WebhookSender, WebhookSignals } from './ports.js';

export interface DeliveryOptions {
  /** How often the outbox is looked at; 0: never by itself (tests call runOnce). */
  pollMs: number;
  /** Deliveries claimed (and sent in parallel) at a time. */
  batch: number;
  /** How long a claim stays a worker's: longer than a send can take, so a live worker keeps it. */
  leaseMs: number;
  /** Backoff: the first retry after about this long, doubling up to `maxDelayMs`, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Retries go on until a message is this old, then it is marked failed and an alert goes out. */
  retryForMs: number;
  /** How often sell-outs that were never told (a crash right after the last sale) are looked for. */
  soldOutSweepMs: number;
  /** The delivery log and finished messages are kept this long. */
  keepMs: number;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  pollMs: 1000,
  batch: 50,
  leaseMs: 25_000,
  baseDelayMs: 10_000,
  maxDelayMs: 3_600_000,
  retryForMs: 24 * 3_600_000,
  soldOutSweepMs: 60_000,
  keepMs: 30 * 24 * 3_600_000,
};

export interface GaveUp {
  webhookId: string;
  messageId: string;
  type: WebhookEventType;
  attempts: number;
}

export interface DeliveryDeps {
  outbox: OutboxRepository;
  sender: WebhookSender;
  clock: Clock;
  random?: () => number;
  /** A message could not be delivered for `retryForMs`: it is marked failed; a human should look. */
  onGiveUp?: (d: GaveUp) => void;
  onAttempt?: (result: 'delivered' | 'retrying' | 'failed') => void;
  onError?: (e: unknown) => void;
}

/**
 * The outbox's delivery worker, one per instance. It claims due deliveries with a lease (several
 * instances share the work, and a crashed one's claims are taken over once its lease runs out), sends
 * them outside any request (a slow or dead receiver never slows a booking), and retries failures with
 * exponential backoff and jitter until `retryForMs`. At least once: a receiver deduplicates by
 * `webhook-id`.
 */
export class WebhookDelivery implements WebhookSignals {
  private readonly opts: DeliveryOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;
  private lastSweep = 0;
  private lastPurge = 0;

  constructor(
    private readonly deps: DeliveryDeps,
    opts: Partial<DeliveryOptions> = {},
  ) {
    this.opts = { ...DEFAULT_DELIVERY_OPTIONS, ...opts };
  }

  start(): void {
    if (this.opts.pollMs <= 0) return;
    this.started = true;
    this.tick();
  }

  /**
   * Stops polling and waits a little for the sends in flight. Not for a hanging receiver's full timeout:
   * a shutdown must not wait on someone else's server. A send cut off here is retried once its lease
   * runs out (at least once, never lost).
   */
  async stop(waitMs = 2000): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    await Promise.race([this.running, new Promise((r) => setTimeout(r, waitMs).unref())]);
  }

  /** Something was written to the outbox: send it now rather than at the next poll. */
  wake(): void {
    if (this.started) this.tick();
  }

  sold(eventId: string): void {
    this.deps.outbox.markSoldOut(eventId, this.deps.clock.now()).then(
      (told) => told && this.wake(),
      (e: unknown) => this.deps.onError?.(e),
    );
  }

  /** Claims and sends until nothing is due; how many attempts were made. */
  async runOnce(): Promise<number> {
    const { outbox, clock } = this.deps;
    let sent = 0;
    for (;;) {
      const now = clock.now();
      const claimed = await outbox.claim(
        now,
        new Date(now.getTime() + this.opts.leaseMs),
        this.opts.batch,
        randomUUID(),
      );
      await Promise.all(claimed.map((d) => this.deliver(d)));
      sent += claimed.length;
      if (claimed.length < this.opts.batch) return sent;
    }
  }

  /** Tells the sell-outs a crash left untold. */
  async sweepSoldOut(): Promise<void> {
    for (const eventId of await this.deps.outbox.soldOutUntold(100))
      await this.deps.outbox.markSoldOut(eventId, this.deps.clock.now());
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const { deps, opts } = this;
    const started = Date.now();
    const answer = await deps.sender.send({
      url: d.url,
      secret: d.secret,
      messageId: d.messageId,
      body: d.body,
    });
    const at = deps.clock.now();
    const attempt = { ...answer, durationMs: Date.now() - started, at };
    if (answer.error === null) return this.record(d, attempt, { result: 'delivered' });
    if (at.getTime() - d.createdAt.getTime() >= opts.retryForMs) {
      await this.record(d, attempt, { result: 'failed' });
      deps.onGiveUp?.({
        webhookId: d.webhookId,
        messageId: d.messageId,
        type: d.type,
        attempts: d.attempts + 1,
      });
      return;
    }
    await this.record(d, attempt, {
      result: 'retrying',
      at: new Date(at.getTime() + this.backoff(d.attempts + 1)),
    });
  }

  private async record(...args: Parameters<OutboxRepository['record']>): Promise<void> {
    await this.deps.outbox.record(...args);
    this.deps.onAttempt?.(args[2].result);
  }

  /** "Equal jitter": half the exponential delay, plus up to as much again at random. */
  backoff(attempt: number): number {
    const exp = Math.min(this.opts.baseDelayMs * 2 ** (attempt - 1), this.opts.maxDelayMs);
    return exp / 2 + (this.deps.random ?? Math.random)() * (exp / 2);
  }

  private tick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.pass()
      .catch((e: unknown) => this.deps.onError?.(e))
      .finally(() => {
        this.running = undefined;
        if (!this.started) return;
        if (this.again) {
          this.again = false;
          this.tick();
        } else this.timer = setTimeout(() => this.tick(), this.opts.pollMs).unref();
      });
  }

  private async pass(): Promise<void> {
    await this.runOnce();
    const now = Date.now();
    if (now - this.lastSweep >= this.opts.soldOutSweepMs) {
      this.lastSweep = now;
      await this.sweepSoldOut();
    }
    if (now - this.lastPurge >= 3_600_000) {
      this.lastPurge = now;
      await this.deps.outbox.purge(new Date(this.deps.clock.now().getTime() - this.opts.keepMs));
    }
  }
}
