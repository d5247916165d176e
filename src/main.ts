import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, type Config } from './config.js';
import { buildApp, LOG_REDACT } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { webhookChannel } from './infra/alerts/webhook.js';
import { systemClock } from './infra/clock.js';
import { Monitor } from './monitor.js';
import { Alerter } from './services/alert.service.js';
import { createContainer } from './wiring.js';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

async function main() {
  const config = readConfig();
  let adminToken = config.ADMIN_TOKEN;
  if (!adminToken) {
    adminToken = randomBytes(24).toString('base64url');
    // Printed once, by design (no ADMIN_TOKEN given): straight to the terminal, never into the JSON log.
    process.stdout.write(`ADMIN_TOKEN was not set; this run's admin token is: ${adminToken}\n`);
  }
  const metrics = createMetrics();
  const channel = config.ALERT_WEBHOOK_URL ? webhookChannel(config.ALERT_WEBHOOK_URL) : null;
  const alerter = new Alerter(channel, systemClock, {}, (e) =>
    app.log.warn({ err: e }, 'alert not delivered'),
  );
  const monitor = new Monitor({ metrics, alerter, clock: systemClock });
  const container = await createContainer(config, {
    telemetry: monitor,
    // A lost LISTEN or Redis connection, a failed re-read: the live map heals itself, but say so.
    onFeedError: (e) => app.log.warn({ err: e }, 'live seat map'),
    onWebhook: {
      onAttempt: (result) => monitor.webhookAttempt(result),
      onGiveUp: (d) => monitor.webhookGaveUp(d),
      onError: (e) => app.log.warn({ err: e }, 'webhook delivery'),
    },
    onCleanup: {
      onRun: (r) => monitor.cleanupRan(r),
      onError: (e) => {
        monitor.cleanupFailed();
        app.log.error({ err: e }, 'cleanup run failed');
      },
    },
  });
  const app = await buildApp(container.services, {
    adminToken,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    sessionsPerMinutePerIp: config.SESSIONS_PER_MINUTE_PER_IP,
    trustProxy: config.TRUST_PROXY,
    metrics,
    onServerError: () => monitor.serverError(),
    logger: { level: config.LOG_LEVEL, redact: LOG_REDACT },
  });
  await app.listen({ port: config.PORT, host: config.HOST });
  container.cleanup.start(config.CLEANUP_INTERVAL_SECONDS);
  monitor.start(() => container.services.readiness());
  app.log.info({ store: container.db.kind }, 'seat reservation service ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    // Stop accepting and finish in-flight requests, then stop the job, then close pools.
    monitor.stop();
    app
      .close()
      .then(() => container.close())
      .then(() => {
        clearTimeout(force);
        process.exit(0);
      })
      .catch((e: unknown) => {
        app.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`Failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
