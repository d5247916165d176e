import type { Metrics } from './http/metrics.js';
import { Alerter, BurstCounter } from './services/alert.service.js';
import type { CleanupReport } from './services/cleanup.service.js';
import type { Clock, Telemetry } from './services/ports.js';

export interface MonitorOptions {
  metrics: Metrics;
  alerter: Alerter;
  clock: Clock;
  /** How often the database (and Redis) are probed for the "unreachable" alert. */
  probeIntervalMs?: number;
}

const SERVER_ERROR_BURST = 10;
const CLEANUP_FAILURES = 3;
const PROBE_FAILURES = 2;

/**
 * Turns what the service sees into metrics and, when a human is needed, alerts: a burst of 5xx,
 * the cleanup job failing repeatedly, the database or Redis unreachable, a voided charge.
 */
export class Monitor implements Telemetry {
  private readonly serverErrors: BurstCounter;
  private cleanupFailures = 0;
  private readonly probeFailures = new Map<string, number>();
  private readonly reportedDown = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: MonitorOptions) {
    this.serverErrors = new BurstCounter(SERVER_ERROR_BURST, 60_000, o.clock);
  }

  private alert(key: string, text: string) {
    void this.o.alerter.raise({ key, text });
  }

  chargeVoided(reason: 'hold_lost' | 'gateway_error' | 'abandoned', count = 1): void {
    this.o.metrics.voidedCharges.inc({ reason }, count);
    this.alert(
      'voided-charge',
      `${count} charge(s) voided (${reason}): the customer was refunded, no seat sold.`,
    );
  }

  webhookAttempt(result: 'delivered' | 'retrying' | 'failed'): void {
    this.o.metrics.webhookAttempts.inc({ result });
  }

  /** A webhook message undelivered after a day of retries: the receiver needs a human. */
  webhookGaveUp(d: { webhookId: string; type: string; attempts: number }): void {
    this.alert(
      `webhook-failed-${d.webhookId}`,
      `Webhook ${d.webhookId}: a ${d.type} message could not be delivered after ${d.attempts} attempts over 24 h; given up. See GET /api/webhooks/${d.webhookId}/deliveries.`,
    );
  }

  /** Called for every 5xx answer. */
  serverError(): void {
    if (this.serverErrors.hit()) {
      this.alert('http-5xx', `Burst of server errors: ${SERVER_ERROR_BURST}+ 5xx answers within a minute.`);
    }
  }

  cleanupRan(r: CleanupReport): void {
    const { metrics } = this.o;
    this.cleanupFailures = 0;
    metrics.cleanupRuns.inc({ result: 'ok' });
    metrics.seatsFreed.inc({ reason: 'expired' }, r.expired);
    metrics.seatsFreed.inc({ reason: 'session_ended' }, r.deadSessions);
    if (r.voidedOrders > 0) this.chargeVoided('abandoned', r.voidedOrders);
  }

  cleanupFailed(): void {
    this.o.metrics.cleanupRuns.inc({ result: 'error' });
    if (++this.cleanupFailures >= CLEANUP_FAILURES) {
      this.alert('cleanup', `The cleanup job failed ${this.cleanupFailures} times in a row.`);
    }
  }

  /** One probe of every dependency: two failures in a row are an outage, the next success a recovery. */
  async probe(readiness: () => Promise<Record<string, boolean>>): Promise<void> {
    const checks = await readiness().catch(() => ({ database: false }));
    for (const [name, ok] of Object.entries(checks)) {
      if (ok) {
        this.probeFailures.delete(name);
        if (this.reportedDown.delete(name)) this.alert(`${name}-up`, `${name} is reachable again.`);
        continue;
      }
      const failures = (this.probeFailures.get(name) ?? 0) + 1;
      this.probeFailures.set(name, failures);
      if (failures >= PROBE_FAILURES && !this.reportedDown.has(name)) {
        this.reportedDown.add(name);
        this.alert(`${name}-down`, `${name} is unreachable: requests that need it answer 503.`);
      }
    }
  }

  start(readiness: () => Promise<Record<string, boolean>>): void {
    let running = false;
    this.timer = setInterval(() => {
      if (running) return;
      running = true;
      void this.probe(readiness).finally(() => (running = false));
    }, this.o.probeIntervalMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
