import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { QueueService } from '../services/queue.service.js';

/**
 * The waiting rooms' metrics. Gauges are read from this instance's rooms at each scrape (no query);
 * every instance reports the same queue, so aggregate them with max(). Admissions are counted by the
 * instance that made them: sum() across instances, and rate() × 60 is admitted per minute.
 */
export function queueMetrics(registry: Registry, queue: QueueService): void {
  const gauge = (
    name: string,
    help: string,
    read: (s: ReturnType<QueueService['stats']>[number]) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['event'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of queue.stats()) this.set({ event: s.eventId }, read(s));
      },
    });
  gauge('queue_waiting_sessions', 'Sessions waiting in an event queue', (s) => s.waiting);
  gauge('queue_admitted_sessions', 'Sessions admitted from an event queue so far', (s) => s.admitted);
  gauge(
    'queue_admit_rate_per_minute',
    'Admissions per minute as measured (what wait estimates use)',
    (s) => s.perMinute,
  );
  gauge('queue_stream_viewers', 'Open waiting room streams on this instance', (s) => s.viewers);

  const admitted = new Counter({
    name: 'queue_admissions_total',
    help: 'Sessions admitted from event queues by this instance',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const waited = new Histogram({
    name: 'queue_wait_seconds',
    help: 'Time from joining (or from the opening, for those who joined before it) to admission',
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
    registers: [registry],
  });
  queue.onAdmitted((eventId, waitedMs) => {
    admitted.inc({ event: eventId }, waitedMs.length);
    for (const ms of waitedMs) waited.observe(Math.max(0, ms) / 1000);
  });
}
